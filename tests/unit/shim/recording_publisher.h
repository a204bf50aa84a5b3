#pragma once
// An EventPublisher that keeps every event (topic + the message as containerd would decode
// it) for assertions on order and content.

#include <google/protobuf/message.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "shim/events/publisher.h"

namespace strato::shim::testing {

struct RecordedEvent {
  std::string topic;
  std::string type_name;
  std::string bytes;
  template <class M>
  M As() const {
    M m;
    m.ParseFromString(bytes);
    return m;
  }
};

class RecordingPublisher : public EventPublisher {
 public:
  void Publish(const std::string& topic, const google::protobuf::Message& event) override {
    std::lock_guard l(mu_);
    events_.push_back({topic, event.GetDescriptor()->full_name(), event.SerializeAsString()});
    cv_.notify_all();
  }
  std::vector<RecordedEvent> events() {
    std::lock_guard l(mu_);
    return events_;
  }
  std::vector<std::string> topics() {
    std::lock_guard l(mu_);
    std::vector<std::string> out;
    for (auto& e : events_) out.push_back(e.topic);
    return out;
  }
  bool WaitFor(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return events_.size() >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RecordedEvent> events_;
};

}  // namespace strato::shim::testing
