#pragma once
// Task events for containerd. The Task service publishes into an EventPublisher; the shim's
// daemon uses TtrpcEventPublisher, which forwards each event in order to containerd's events
// service on TTRPC_ADDRESS (containerd.services.events.ttrpc.v1.Events/Forward), the way
// containerd 1.6 shims publish (runtime/v2/shim/publisher.go).

#include <google/protobuf/message.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "proto/containerd/events_service.pb.h"

namespace strato::shim {

namespace topics {
inline constexpr const char* kTaskCreate = "/tasks/create";
inline constexpr const char* kTaskStart = "/tasks/start";
inline constexpr const char* kTaskExit = "/tasks/exit";
inline constexpr const char* kTaskDelete = "/tasks/delete";
inline constexpr const char* kTaskExecAdded = "/tasks/exec-added";
inline constexpr const char* kTaskExecStarted = "/tasks/exec-started";
inline constexpr const char* kTaskOOM = "/tasks/oom";
inline constexpr const char* kTaskPaused = "/tasks/paused";
inline constexpr const char* kTaskResumed = "/tasks/resumed";
}  // namespace topics

class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Queues an event without blocking; events are delivered in the order published.
  virtual void Publish(const std::string& topic, const google::protobuf::Message& event) = 0;
};

// The envelope containerd expects: Any.type_url is the bare message name
// ("containerd.events.TaskExit"), the timestamp is now, the namespace ours.
containerd::services::events::ttrpc::v1::Envelope MakeEnvelope(
    const std::string& ns, const std::string& topic, const google::protobuf::Message& event);

class TtrpcEventPublisher : public EventPublisher {
 public:
  // `address` is TTRPC_ADDRESS (a socket path, "unix://" allowed).
  TtrpcEventPublisher(std::string address, std::string ns);
  ~TtrpcEventPublisher() override;  // Close(kDefaultFlushDeadline)

  void Publish(const std::string& topic, const google::protobuf::Message& event) override;

  // Delivers what is queued (until `deadline` passes), then stops the sender thread.
  void Close(std::chrono::milliseconds deadline);

  static constexpr std::chrono::milliseconds kCallTimeout{5000};  // per Forward call
  static constexpr int kMaxAttempts = 5;                          // then the event is dropped
  static constexpr std::chrono::milliseconds kDefaultFlushDeadline{3000};

 private:
  void Run();

  const std::string address_;
  const std::string namespace_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<containerd::services::events::ttrpc::v1::Envelope> queue_;
  bool closing_ = false;
  std::chrono::steady_clock::time_point flush_until_{};
  std::thread sender_;
};

}  // namespace strato::shim
