#pragma once
// KnownObjects: the keys of immutable objects one store has seen in its bucket (written, found
// by a HEAD, or read), at most `capacity` of them, the oldest forgotten first.

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

namespace spoke {

// Keys name content-addressed or otherwise immutable objects, so a key once seen stays valid:
// a put of a known key needs no request at all. An object deleted behind Spoke's back is damage
// either way (metadata points at it); this set only stops Spoke from noticing on a put.
class KnownObjects {
  public:
    explicit KnownObjects(size_t capacity) : capacity_(capacity) {}

    bool contains(const std::string& key) const { return keys_.count(key) != 0; }

    void add(const std::string& key) {
        if (capacity_ == 0 || !keys_.insert(key).second) return;
        order_.push_back(key);
        if (order_.size() > capacity_) {
            keys_.erase(order_.front());
            order_.pop_front();
        }
    }

    size_t size() const { return keys_.size(); }

  private:
    size_t capacity_;
    std::unordered_set<std::string> keys_;
    std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace spoke
