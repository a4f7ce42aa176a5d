#pragma once
// SystemdNotifier: sd_notify messages (READY, WATCHDOG, STOPPING, RELOADING, STATUS); a no-op when
// the process is not supervised (no NOTIFY_SOCKET).

#include <chrono>
#include <optional>
#include <string_view>

namespace spoke {

class SystemdNotifier {
  public:
    SystemdNotifier();
    bool supervised() const { return supervised_; }
    // Half of this is the ping period; nullopt when systemd set no watchdog for us.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

    void ready(std::string_view status) const;
    void reloading() const;
    void stopping(std::string_view status) const;
    void watchdog() const;
    void status(std::string_view status) const;

  private:
    void send(std::string_view message) const;
    bool supervised_ = false;
    std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace spoke
