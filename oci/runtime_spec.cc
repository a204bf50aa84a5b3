#include "oci/runtime_spec.h"

#include <charconv>
#include <set>

#include "common/file_util.h"
#include "oci/json_reader.h"
#include "oci/runtime_spec_names.h"

namespace strato::oci {

namespace {

// strato reads runtime-spec 1.0.x, 1.1.x and 1.2.x (pre-release suffixes like containerd 1.6's
// "1.0.2-dev" included).
constexpr int kSpecMajor = 1;
constexpr int kMaxSpecMinor = 2;

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

void CheckVersion(const JsonNode& node) {
  std::string v = node.String();
  int major = -1, minor = -1;
  const char* p = v.data();
  const char* end = v.data() + v.size();
  auto r1 = std::from_chars(p, end, major);
  bool ok = r1.ec == std::errc() && r1.ptr < end && *r1.ptr == '.';
  if (ok) {
    auto r2 = std::from_chars(r1.ptr + 1, end, minor);
    ok = r2.ec == std::errc() && (r2.ptr == end || *r2.ptr == '.' || *r2.ptr == '-');
  }
  if (!ok) node.Fail("not a version: " + Quote(v));
  if (major != kSpecMajor || minor > kMaxSpecMinor) {
    node.Fail("unsupported version " + Quote(v) + " (strato reads 1.0 to 1.2)");
  }
}

void RequireAbsolute(const JsonNode& node, const std::string& value) {
  if (value.empty() || value[0] != '/') {
    node.Fail("must be an absolute path, got " + Quote(value));
  }
}

Root ParseRoot(const JsonNode& n) {
  Root r;
  r.path = n.Require("path").String();
  if (r.path.empty()) n.Require("path").Fail("must not be empty");
  r.readonly = n.OptBool("readonly").value_or(false);
  return r;
}

User ParseUser(const JsonNode& n) {
  User u;
  u.uid = n.Require("uid").Uint32();
  u.gid = n.Require("gid").Uint32();
  if (auto m = n.Get("umask")) {
    u.umask = m->Uint32();
    if (*u.umask > 0777) m->Fail("umask " + std::to_string(*u.umask) + " is larger than 0777");
  }
  if (auto g = n.Get("additionalGids")) {
    u.additional_gids = g->Map<uint32_t>([](const JsonNode& e) { return e.Uint32(); });
  }
  u.username = n.OptString("username").value_or("");
  return u;
}

std::vector<std::string> ParseCapabilitySet(const JsonNode& parent, const std::string& key) {
  auto set = parent.Get(key);
  if (!set) return {};
  size_t count = set->ExpectArray();
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    JsonNode e = set->Element(i);
    std::string name = e.String();
    if (!CapabilityNumber(name)) e.Fail("unknown capability " + Quote(name));
    out.push_back(name);
  }
  return out;
}

Capabilities ParseCapabilities(const JsonNode& n) {
  n.ExpectObject();
  return Capabilities{ParseCapabilitySet(n, "bounding"), ParseCapabilitySet(n, "effective"),
                      ParseCapabilitySet(n, "inheritable"), ParseCapabilitySet(n, "permitted"),
                      ParseCapabilitySet(n, "ambient")};
}

std::vector<Rlimit> ParseRlimits(const JsonNode& n) {
  std::set<std::string> seen;
  return n.Map<Rlimit>([&](const JsonNode& e) {
    Rlimit r;
    JsonNode type = e.Require("type");
    r.type = type.String();
    auto resource = RlimitResource(r.type);
    if (!resource) type.Fail("unknown rlimit " + Quote(r.type));
    if (!seen.insert(r.type).second) type.Fail("duplicate rlimit " + Quote(r.type));
    r.resource = *resource;
    r.hard = e.Require("hard").Uint64();
    r.soft = e.Require("soft").Uint64();
    if (r.soft > r.hard) {
      e.Fail("soft limit " + std::to_string(r.soft) + " exceeds hard limit " +
             std::to_string(r.hard));
    }
    return r;
  });
}

Process ParseProcessNode(const JsonNode& n) {
  Process p;
  n.ExpectObject();
  p.terminal = n.OptBool("terminal").value_or(false);
  if (auto cs = n.Get("consoleSize")) {
    p.console_size = ConsoleSize{cs->Require("height").Uint32(), cs->Require("width").Uint32()};
  }
  p.user = ParseUser(n.Require("user"));
  JsonNode args = n.Require("args");
  p.args = args.StringArray();
  if (p.args.empty()) args.Fail("must not be empty");
  if (auto env = n.Get("env")) {
    size_t count = env->ExpectArray();
    for (size_t i = 0; i < count; ++i) {
      JsonNode e = env->Element(i);
      std::string kv = e.String();
      if (kv.find('=') == std::string::npos || kv[0] == '=') {
        e.Fail(Quote(kv) + " is not of the form KEY=VALUE");
      }
      p.env.push_back(kv);
    }
  }
  JsonNode cwd = n.Require("cwd");
  p.cwd = cwd.String();
  RequireAbsolute(cwd, p.cwd);
  if (auto caps = n.Get("capabilities")) p.capabilities = ParseCapabilities(*caps);
  if (auto rl = n.Get("rlimits")) p.rlimits = ParseRlimits(*rl);
  p.no_new_privileges = n.OptBool("noNewPrivileges").value_or(false);
  p.apparmor_profile = n.OptString("apparmorProfile").value_or("");
  p.selinux_label = n.OptString("selinuxLabel").value_or("");
  if (auto oom = n.Get("oomScoreAdj")) {
    p.oom_score_adj = oom->Int32();
    // OOM_SCORE_ADJ_MIN/MAX from include/uapi/linux/oom.h.
    if (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000) {
      oom->Fail("must be between -1000 and 1000, got " + std::to_string(*p.oom_score_adj));
    }
  }
  return p;
}

std::vector<Mount> ParseMounts(const JsonNode& n) {
  return n.Map<Mount>([](const JsonNode& e) {
    Mount m;
    JsonNode dest = e.Require("destination");
    m.destination = dest.String();
    RequireAbsolute(dest, m.destination);
    m.type = e.OptString("type").value_or("");
    m.source = e.OptString("source").value_or("");
    m.options = e.OptStringArray("options");
    return m;
  });
}

std::vector<Namespace> ParseNamespaces(const JsonNode& n) {
  std::set<std::string> seen;
  return n.Map<Namespace>([&](const JsonNode& e) {
    Namespace ns;
    JsonNode type = e.Require("type");
    ns.type = type.String();
    if (!IsNamespaceType(ns.type)) type.Fail("unknown namespace type " + Quote(ns.type));
    if (!seen.insert(ns.type).second) type.Fail("duplicate namespace " + Quote(ns.type));
    if (auto path = e.Get("path")) {
      ns.path = path->String();
      RequireAbsolute(*path, ns.path);
    }
    return ns;
  });
}

std::vector<IdMapping> ParseIdMappings(const JsonNode& n) {
  return n.Map<IdMapping>([](const JsonNode& e) {
    IdMapping m{e.Require("containerID").Uint32(), e.Require("hostID").Uint32(),
                e.Require("size").Uint32()};
    if (m.size == 0) e.Require("size").Fail("must be at least 1");
    return m;
  });
}

Resources ParseResources(const JsonNode& n) {
  Resources r;
  n.ExpectObject();
  if (auto m = n.Get("memory")) {
    MemoryResources mem;
    mem.limit = m->OptInt64("limit");
    mem.reservation = m->OptInt64("reservation");
    mem.swap = m->OptInt64("swap");
    if (auto sw = m->Get("swappiness")) {
      mem.swappiness = sw->Uint64();
      if (*mem.swappiness > 100) sw->Fail("must be between 0 and 100");
    }
    mem.disable_oom_killer = m->OptBool("disableOOMKiller");
    r.memory = mem;
  }
  if (auto c = n.Get("cpu")) {
    CpuResources cpu;
    cpu.shares = c->OptUint64("shares");
    cpu.quota = c->OptInt64("quota");
    cpu.period = c->OptUint64("period");
    cpu.cpus = c->OptString("cpus").value_or("");
    cpu.mems = c->OptString("mems").value_or("");
    r.cpu = cpu;
  }
  if (auto p = n.Get("pids")) r.pids = PidsResources{p->Require("limit").Int64()};
  if (auto d = n.Get("devices")) {
    r.devices = d->Map<DeviceCgroupRule>([](const JsonNode& e) {
      DeviceCgroupRule rule;
      rule.allow = e.Require("allow").Bool();
      if (auto t = e.Get("type")) {
        rule.type = t->String();
        if (rule.type != "a" && rule.type != "c" && rule.type != "b") {
          t->Fail("device type must be \"a\", \"c\" or \"b\", got " + Quote(rule.type));
        }
      }
      rule.major = e.OptInt64("major");
      rule.minor = e.OptInt64("minor");
      if (auto a = e.Get("access")) {
        rule.access = a->String();
        if (rule.access.find_first_not_of("rwm") != std::string::npos) {
          a->Fail("access must be made of r, w, m; got " + Quote(rule.access));
        }
      }
      return rule;
    });
  }
  return r;
}

Seccomp ParseSeccomp(const JsonNode& n) {
  Seccomp s;
  JsonNode def = n.Require("defaultAction");
  s.default_action = def.String();
  if (!IsSeccompAction(s.default_action)) {
    def.Fail("unknown seccomp action " + Quote(s.default_action));
  }
  s.default_errno_ret = n.OptUint32("defaultErrnoRet");
  if (auto arches = n.Get("architectures")) {
    size_t count = arches->ExpectArray();
    for (size_t i = 0; i < count; ++i) {
      JsonNode a = arches->Element(i);
      std::string arch = a.String();
      if (!IsSeccompArch(arch)) a.Fail("unknown seccomp architecture " + Quote(arch));
      s.architectures.push_back(arch);
    }
  }
  if (auto flags = n.Get("flags")) {
    size_t count = flags->ExpectArray();
    for (size_t i = 0; i < count; ++i) {
      JsonNode f = flags->Element(i);
      std::string flag = f.String();
      if (!IsSeccompFlag(flag)) f.Fail("unknown seccomp flag " + Quote(flag));
      s.flags.push_back(flag);
    }
  }
  if (auto calls = n.Get("syscalls")) {
    s.syscalls = calls->Map<SeccompSyscall>([](const JsonNode& e) {
      SeccompSyscall sc;
      JsonNode names = e.Require("names");
      sc.names = names.StringArray();
      if (sc.names.empty()) names.Fail("must not be empty");
      JsonNode action = e.Require("action");
      sc.action = action.String();
      if (!IsSeccompAction(sc.action)) action.Fail("unknown seccomp action " + Quote(sc.action));
      sc.errno_ret = e.OptUint32("errnoRet");
      if (auto args = e.Get("args")) {
        sc.args = args->Map<SeccompArg>([](const JsonNode& a) {
          SeccompArg arg;
          JsonNode index = a.Require("index");
          arg.index = index.Uint32();
          // A system call has at most six arguments (seccomp_data.args[6]).
          if (arg.index > 5)
            index.Fail("argument index must be 0 to 5, got " + std::to_string(arg.index));
          arg.value = a.Require("value").Uint64();
          arg.value_two = a.OptUint64("valueTwo").value_or(0);
          JsonNode op = a.Require("op");
          arg.op = op.String();
          if (!IsSeccompOperator(arg.op)) op.Fail("unknown seccomp operator " + Quote(arg.op));
          return arg;
        });
      }
      return sc;
    });
  }
  return s;
}

std::vector<Device> ParseDevices(const JsonNode& n) {
  return n.Map<Device>([](const JsonNode& e) {
    Device d;
    JsonNode type = e.Require("type");
    d.type = type.String();
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p") {
      type.Fail("device type must be \"c\", \"b\", \"u\" or \"p\", got " + Quote(d.type));
    }
    JsonNode path = e.Require("path");
    d.path = path.String();
    RequireAbsolute(path, d.path);
    if (d.type != "p") {
      d.major = e.Require("major").Int64();
      d.minor = e.Require("minor").Int64();
    }
    d.file_mode = e.OptUint32("fileMode");
    d.uid = e.OptUint32("uid");
    d.gid = e.OptUint32("gid");
    return d;
  });
}

std::vector<std::string> ParseAbsolutePaths(const JsonNode& parent, const std::string& key) {
  auto list = parent.Get(key);
  if (!list) return {};
  size_t count = list->ExpectArray();
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    JsonNode e = list->Element(i);
    out.push_back(e.String());
    RequireAbsolute(e, out.back());
  }
  return out;
}

Linux ParseLinux(const JsonNode& n) {
  Linux l;
  n.ExpectObject();
  if (auto ns = n.Get("namespaces")) l.namespaces = ParseNamespaces(*ns);
  if (auto m = n.Get("uidMappings")) l.uid_mappings = ParseIdMappings(*m);
  if (auto m = n.Get("gidMappings")) l.gid_mappings = ParseIdMappings(*m);
  if (auto r = n.Get("resources")) l.resources = ParseResources(*r);
  l.cgroups_path = n.OptString("cgroupsPath").value_or("");
  l.sysctl = n.OptStringMap("sysctl");
  if (auto s = n.Get("seccomp")) l.seccomp = ParseSeccomp(*s);
  l.masked_paths = ParseAbsolutePaths(n, "maskedPaths");
  l.readonly_paths = ParseAbsolutePaths(n, "readonlyPaths");
  if (auto d = n.Get("devices")) l.devices = ParseDevices(*d);
  if (auto p = n.Get("rootfsPropagation")) {
    l.rootfs_propagation = p->String();
    static const std::set<std::string> kPropagation = {
        "private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave", "runbindable"};
    if (!kPropagation.count(l.rootfs_propagation)) {
      p->Fail("unknown propagation " + Quote(l.rootfs_propagation));
    }
  }
  l.mount_label = n.OptString("mountLabel").value_or("");
  return l;
}

std::vector<Hook> ParseHookList(const JsonNode& parent, const std::string& key) {
  auto list = parent.Get(key);
  if (!list) return {};
  return list->Map<Hook>([](const JsonNode& e) {
    Hook h;
    JsonNode path = e.Require("path");
    h.path = path.String();
    RequireAbsolute(path, h.path);
    h.args = e.OptStringArray("args");
    h.env = e.OptStringArray("env");
    if (auto t = e.Get("timeout")) {
      h.timeout = t->Int32();
      if (*h.timeout <= 0) t->Fail("must be greater than zero");
    }
    return h;
  });
}

Hooks ParseHooks(const JsonNode& n) {
  n.ExpectObject();
  return Hooks{ParseHookList(n, "prestart"),        ParseHookList(n, "createRuntime"),
               ParseHookList(n, "createContainer"), ParseHookList(n, "startContainer"),
               ParseHookList(n, "poststart"),       ParseHookList(n, "poststop")};
}

}  // namespace

RuntimeSpec ParseRuntimeSpec(const std::string& json_text) {
  nlohmann::json doc = ParseJsonText(json_text, "config.json");
  JsonNode top(doc, "");
  if (!doc.is_object()) throw SpecError("", "config.json: expected a JSON object at the top level");
  RuntimeSpec spec;
  JsonNode version = top.Require("ociVersion");
  CheckVersion(version);
  spec.oci_version = version.String();
  if (auto r = top.Get("root")) spec.root = ParseRoot(*r);
  if (auto p = top.Get("process")) spec.process = ParseProcessNode(*p);
  spec.hostname = top.OptString("hostname").value_or("");
  spec.domainname = top.OptString("domainname").value_or("");
  if (auto m = top.Get("mounts")) spec.mounts = ParseMounts(*m);
  if (auto l = top.Get("linux")) spec.linux = ParseLinux(*l);
  if (auto h = top.Get("hooks")) spec.hooks = ParseHooks(*h);
  spec.annotations = top.OptStringMap("annotations");
  return spec;
}

Process ParseProcess(const std::string& json_text) {
  nlohmann::json doc = ParseJsonText(json_text, "process");
  return ParseProcessNode(JsonNode(doc, "process"));
}

RuntimeSpec LoadRuntimeSpec(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/config.json";
  std::string text = ReadFile(path);
  try {
    return ParseRuntimeSpec(text);
  } catch (const SpecError& e) {
    throw SpecError("", path + ": " + std::string(e.what()));
  }
}

}  // namespace strato::oci
