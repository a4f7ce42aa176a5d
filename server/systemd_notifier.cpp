#include "server/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "reactor/log.hpp"

namespace spoke {

SystemdNotifier::SystemdNotifier() {
    supervised_ = std::getenv("NOTIFY_SOCKET") != nullptr;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_ = std::chrono::microseconds(usec);
    if (!supervised_) Log::write(LogLevel::Debug, "not supervised by systemd (no NOTIFY_SOCKET)");
}

void SystemdNotifier::send(std::string_view message) const {
    if (!supervised_) return;
    std::string m(message);
    int rc = sd_notify(0, m.c_str());
    if (rc < 0) Log::write(LogLevel::Warn, "sd_notify failed", {{"error", std::string_view(m)}});
}

void SystemdNotifier::ready(std::string_view status) const {
    send("READY=1\nSTATUS=" + std::string(status) + "\nMAINPID=" + std::to_string(getpid()));
}

void SystemdNotifier::reloading() const {
    send("RELOADING=1\nSTATUS=reloading configuration");
}

void SystemdNotifier::stopping(std::string_view status) const {
    send("STOPPING=1\nSTATUS=" + std::string(status));
}

void SystemdNotifier::watchdog() const {
    send("WATCHDOG=1");
}

void SystemdNotifier::status(std::string_view status) const {
    send("STATUS=" + std::string(status));
}

}  // namespace spoke
