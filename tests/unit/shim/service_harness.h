#pragma once
// A TaskService over the fake sandbox with recorded events, in a temporary bundle: the base
// of the Task service tests (direct calls and over ttrpc).

#include <atomic>
#include <memory>

#include "shim/task/task_service.h"
#include "tests/unit/shim/fake_sandbox.h"
#include "tests/unit/shim/recording_publisher.h"
#include "tests/unit/shim/test_bundle.h"

namespace strato::shim::testing {

struct ServiceHarness {
  TempBundle bundle;
  FakeSandbox* sandbox = nullptr;  // owned by service
  std::shared_ptr<RecordingPublisher> events = std::make_shared<RecordingPublisher>();
  std::atomic<int> shutdowns{0};  // on_shutdown calls
  std::unique_ptr<TaskService> service;

  ServiceHarness() {
    auto fake = std::make_unique<FakeSandbox>();
    sandbox = fake.get();
    TaskServiceOptions opts;
    opts.ns = "testns";
    opts.version = "strato-test";
    opts.on_shutdown = [this] { ++shutdowns; };
    service = std::make_unique<TaskService>(std::move(fake), events, opts);
  }
  ~ServiceHarness() { service->Stop(); }
};

}  // namespace strato::shim::testing
