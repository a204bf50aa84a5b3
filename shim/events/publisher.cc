#include "shim/events/publisher.h"

#include <spdlog/spdlog.h>

#include "shim/events/timestamp.h"
#include "ttrpc/client.h"

namespace strato::shim {

namespace {
constexpr const char* kEventsService = "containerd.services.events.ttrpc.v1.Events";
constexpr const char* kForwardMethod = "Forward";
constexpr const char* kNamespaceMetadataKey = "containerd-namespace-ttrpc";
constexpr std::chrono::milliseconds kRetryBackoff{100};
}  // namespace

containerd::services::events::ttrpc::v1::Envelope MakeEnvelope(
    const std::string& ns, const std::string& topic, const google::protobuf::Message& event) {
  containerd::services::events::ttrpc::v1::Envelope envelope;
  SetTimestamp(envelope.mutable_timestamp(), std::chrono::system_clock::now());
  envelope.set_namespace_(ns);
  envelope.set_topic(topic);
  auto* any = envelope.mutable_event();
  // containerd 1.6 resolves the bare name; PackFrom's "type.googleapis.com/" prefix fails there.
  any->set_type_url(event.GetDescriptor()->full_name());
  any->set_value(event.SerializeAsString());
  return envelope;
}

TtrpcEventPublisher::TtrpcEventPublisher(std::string address, std::string ns)
    : address_(std::move(address)), namespace_(std::move(ns)) {
  sender_ = std::thread([this] { Run(); });
}

TtrpcEventPublisher::~TtrpcEventPublisher() {
  Close(kDefaultFlushDeadline);
}

void TtrpcEventPublisher::Publish(const std::string& topic,
                                  const google::protobuf::Message& event) {
  std::lock_guard lock(mu_);
  if (closing_) {
    spdlog::warn("event {} dropped: publisher closed", topic);
    return;
  }
  queue_.push_back(MakeEnvelope(namespace_, topic, event));
  cv_.notify_all();
}

void TtrpcEventPublisher::Close(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    if (!sender_.joinable()) return;
    closing_ = true;
    flush_until_ = std::chrono::steady_clock::now() + deadline;
    cv_.notify_all();
  }
  sender_.join();
}

void TtrpcEventPublisher::Run() {
  std::unique_ptr<ttrpc::Client> client;
  for (;;) {
    containerd::services::events::ttrpc::v1::Envelope envelope;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      if (closing_ && std::chrono::steady_clock::now() > flush_until_) {
        spdlog::warn("{} events not delivered at shutdown", queue_.size());
        return;
      }
      envelope = std::move(queue_.front());
      queue_.pop_front();
    }
    containerd::services::events::ttrpc::v1::ForwardRequest request;
    *request.mutable_envelope() = envelope;
    const std::string body = request.SerializeAsString();
    for (int attempt = 1;; ++attempt) {
      try {
        if (!client || client->closed()) client = ttrpc::Client::Dial(address_);
        client->Call(kEventsService, kForwardMethod, body, kCallTimeout,
                     {{kNamespaceMetadataKey, namespace_}});
        break;
      } catch (const std::exception& e) {
        client.reset();
        if (attempt >= kMaxAttempts) {
          spdlog::error("publish {} to {}: {} (event dropped after {} attempts)", envelope.topic(),
                        address_, e.what(), attempt);
          break;
        }
        std::this_thread::sleep_for(kRetryBackoff * attempt);
      }
    }
  }
}

}  // namespace strato::shim
