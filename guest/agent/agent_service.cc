#include "guest/agent/agent_service.h"

#include "guest/agent/agent_ports.h"
#include "guest/agent/guest_processes.h"
#include "guest/agent/guest_stats.h"
#include "guest/agent/process_table.h"
#include "proto/agent/agent.pb.h"
#include "ttrpc/status.h"

namespace strato::agent {

namespace {

template <class Request>
Request Decode(const ttrpc::CallContext& ctx, const std::string& payload) {
  Request request;
  if (!request.ParseFromString(payload)) {
    throw ttrpc::InvalidArgument("cannot decode the " + ctx.method + " request");
  }
  return request;
}

// Registers `method`, whose body maps the decoded request to the response message.
template <class Request, class Fn>
void Add(ttrpc::Server& server, const char* method, Fn fn) {
  server.Register(kAgentService, method,
                  [fn](const ttrpc::CallContext& ctx, const std::string& payload) {
                    return fn(Decode<Request>(ctx, payload)).SerializeAsString();
                  });
}

}  // namespace

void RegisterAgentService(ttrpc::Server& server, std::shared_ptr<ProcessTable> table) {
  namespace v1 = ::strato::agent::v1;
  Add<v1::CreateProcessRequest>(
      server, "CreateProcess", [table](const v1::CreateProcessRequest& r) {
        table->Create(r.id(), r.process_json(), r.terminal(), r.stdin(), r.stdout(), r.stderr());
        return v1::Empty();
      });
  Add<v1::StartProcessRequest>(server, "StartProcess", [table](const v1::StartProcessRequest& r) {
    v1::StartProcessResponse response;
    response.set_pid(static_cast<uint32_t>(table->Start(r.id())));
    return response;
  });
  Add<v1::WaitProcessRequest>(server, "WaitProcess", [table](const v1::WaitProcessRequest& r) {
    ExitRecord exit = table->Wait(r.id());
    v1::WaitProcessResponse response;
    response.set_exit_status(exit.exit_status);
    response.set_exited_at_unix_nanos(exit.exited_at_unix_nanos);
    return response;
  });
  Add<v1::SignalProcessRequest>(server, "SignalProcess",
                                [table](const v1::SignalProcessRequest& r) {
                                  table->Signal(r.id(), static_cast<int>(r.signal()), r.all());
                                  return v1::Empty();
                                });
  Add<v1::CloseStdinRequest>(server, "CloseStdin", [table](const v1::CloseStdinRequest& r) {
    table->CloseStdin(r.id());
    return v1::Empty();
  });
  Add<v1::ResizePtyRequest>(server, "ResizePty", [table](const v1::ResizePtyRequest& r) {
    table->Resize(r.id(), r.columns(), r.rows());
    return v1::Empty();
  });
  Add<v1::DeleteProcessRequest>(server, "DeleteProcess",
                                [table](const v1::DeleteProcessRequest& r) {
                                  table->Delete(r.id());
                                  return v1::Empty();
                                });
  Add<v1::Empty>(server, "ListProcesses", [table](const v1::Empty&) {
    v1::ListProcessesResponse response;
    for (const ContainerProcess& p : ListContainerProcesses(table->RunningPids())) {
      auto* out = response.add_processes();
      out->set_pid(static_cast<uint32_t>(p.pid));
      out->set_id(p.id);
    }
    return response;
  });
  Add<v1::Empty>(server, "Stats", [table](const v1::Empty&) {
    StatsSample sample = ReadStats(ListContainerProcesses(table->RunningPids()).size());
    v1::StatsResponse response;
    response.set_memory_usage_bytes(sample.memory_usage_bytes);
    response.set_memory_limit_bytes(sample.memory_limit_bytes);
    response.set_cpu_usage_usec(sample.cpu_usage_usec);
    response.set_pids_current(sample.pids_current);
    return response;
  });
  Add<v1::Empty>(server, "Shutdown", [table](const v1::Empty&) {
    table->RequestShutdown();
    return v1::Empty();
  });
}

}  // namespace strato::agent
