// diag's native BPF layer: a thin, generic wrapper around libbpf. It knows nothing about any
// probe: open an object from bytes, set its read-only globals, choose which programs load,
// load, attach, read maps, stream ring buffers in batches, report program statistics, close.
// Probe logic and decoding live in TypeScript (collectors/bpf/).
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "embedded.h"

namespace {

// ---- libbpf's messages: kept (warnings only) so errors can say what the verifier said -------

std::mutex g_log_mutex;
std::string g_log;

int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[2048];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  if (n <= 0) return 0;
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_log.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  if (g_log.size() > 16384) g_log.erase(0, g_log.size() - 16384);
  return 0;
}

void ClearLog() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_log.clear();
}

std::string TakeLog() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::string s;
  s.swap(g_log);
  return s;
}

// An Error with .code ("EPERM"), .errno (1), .op ("load") and .log (libbpf's warnings).
Napi::Error BpfError(Napi::Env env, const std::string& op, int err, const std::string& what) {
  if (err < 0) err = -err;
  const char* name = nullptr;
  switch (err) {
    case EPERM: name = "EPERM"; break;
    case EACCES: name = "EACCES"; break;
    case ENOENT: name = "ENOENT"; break;
    case EINVAL: name = "EINVAL"; break;
    case E2BIG: name = "E2BIG"; break;
    case ENOTSUP: name = "ENOTSUP"; break;
    case ESRCH: name = "ESRCH"; break;
    case ENODEV: name = "ENODEV"; break;
    case EBUSY: name = "EBUSY"; break;
    case ENOMEM: name = "ENOMEM"; break;
    case EEXIST: name = "EEXIST"; break;
    case EBADF: name = "EBADF"; break;
    case 524: name = "ENOTSUPP"; break;
    default: name = "EUNKNOWN"; break;
  }
  Napi::Error e = Napi::Error::New(env, op + ": " + what + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, name));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("op", Napi::String::New(env, op));
  e.Set("log", Napi::String::New(env, TakeLog()));
  return e;
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

// ---- map dumps ---------------------------------------------------------------------------------

struct Dump {
  std::vector<uint8_t> keys;
  std::vector<uint8_t> values;
  uint32_t count = 0;
  uint32_t key_size = 0;
  uint32_t value_stride = 0;  // value size, times the number of possible CPUs for per-CPU maps
  int err = 0;
  bool batched = false;
};

bool IsPerCpu(enum bpf_map_type t) {
  return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// Every entry of a map: one bpf_map_lookup_batch call sequence when the kernel supports it for
// this map type, else key-by-key iteration. Runs on any thread (no N-API calls).
void DumpMap(int fd, uint32_t key_size, uint32_t value_stride, uint32_t max_entries, Dump* out) {
  out->key_size = key_size;
  out->value_stride = value_stride;
  uint32_t cap = max_entries == 0 ? 1 : max_entries;
  out->keys.resize(static_cast<size_t>(cap) * key_size);
  out->values.resize(static_cast<size_t>(cap) * value_stride);
  // Batched: the kernel walks the map; `in`/`out` batch tokens are key-sized for hash maps
  // (u32 for arrays) — a key-sized buffer of at least 8 bytes fits both.
  std::vector<uint8_t> token_in(std::max<uint32_t>(key_size, 8));
  std::vector<uint8_t> token_out(std::max<uint32_t>(key_size, 8));
  uint32_t total = 0;
  bool first = true;
  int err = 0;
  while (total < cap) {
    uint32_t n = cap - total;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    err = bpf_map_lookup_batch(fd, first ? nullptr : token_in.data(), token_out.data(), out->keys.data() + static_cast<size_t>(total) * key_size,
                               out->values.data() + static_cast<size_t>(total) * value_stride, &n, &opts);
    if (err < 0) err = -errno;
    if (err == 0 || err == -ENOENT) total += n;
    if (err != 0) break;
    first = false;
    std::memcpy(token_in.data(), token_out.data(), token_in.size());
  }
  if (err == 0 || err == -ENOENT) {
    out->count = total;
    out->batched = true;
    return;
  }
  // Not supported for this map type or kernel: iterate.
  total = 0;
  std::vector<uint8_t> key(key_size), next(key_size);
  void* prev = nullptr;
  while (total < cap) {
    if (bpf_map_get_next_key(fd, prev, next.data()) != 0) {
      if (errno != ENOENT) out->err = -errno;
      break;
    }
    if (bpf_map_lookup_elem(fd, next.data(), out->values.data() + static_cast<size_t>(total) * value_stride) == 0) {
      std::memcpy(out->keys.data() + static_cast<size_t>(total) * key_size, next.data(), key_size);
      total++;
    }
    key = next;
    prev = key.data();
  }
  out->count = total;
}

Napi::Object DumpToJs(Napi::Env env, Dump& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", Napi::Number::New(env, d.count));
  o.Set("keySize", Napi::Number::New(env, d.key_size));
  o.Set("valueStride", Napi::Number::New(env, d.value_stride));
  o.Set("batched", Napi::Boolean::New(env, d.batched));
  o.Set("keys", Napi::Buffer<uint8_t>::Copy(env, d.keys.data(), static_cast<size_t>(d.count) * d.key_size));
  o.Set("values", Napi::Buffer<uint8_t>::Copy(env, d.values.data(), static_cast<size_t>(d.count) * d.value_stride));
  return o;
}

// ---- ring buffers: records copied into one batch, each as [u32 length][bytes][pad to 8] ------

struct Ring {
  struct ring_buffer* rb = nullptr;
  std::vector<uint8_t> batch;
  size_t limit = 32u << 20;
  bool capped = false;
};

int RingSample(void* ctx, void* data, size_t size) {
  Ring* r = static_cast<Ring*>(ctx);
  uint32_t len = static_cast<uint32_t>(size);
  size_t at = r->batch.size();
  size_t padded = (size + 7) & ~static_cast<size_t>(7);
  r->batch.resize(at + 8 + padded);
  std::memcpy(r->batch.data() + at, &len, 4);
  std::memcpy(r->batch.data() + at + 8, data, size);
  if (r->batch.size() >= r->limit) {
    r->capped = true;
    return -1;  // stop this round; the record is already consumed and kept
  }
  return 0;
}

class BpfObject;

class RingPollWorker : public Napi::AsyncWorker {
 public:
  RingPollWorker(Napi::Env env, BpfObject* owner, Ring* ring, int timeout_ms)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), ring_(ring), timeout_ms_(timeout_ms) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  BpfObject* owner_;
  Ring* ring_;
  int timeout_ms_;
  int err_ = 0;
  std::vector<uint8_t> out_;
};

class DumpWorker : public Napi::AsyncWorker {
 public:
  DumpWorker(Napi::Env env, BpfObject* owner, int fd, uint32_t ks, uint32_t vs, uint32_t max)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), fd_(fd), ks_(ks), vs_(vs), max_(max) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { DumpMap(fd_, ks_, vs_, max_, &dump_); }
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  BpfObject* owner_;
  int fd_;
  uint32_t ks_, vs_, max_;
  Dump dump_;
};

// ---- the object ------------------------------------------------------------------------------

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "BpfObject",
                       {
                           InstanceMethod("programs", &BpfObject::Programs),
                           InstanceMethod("maps", &BpfObject::Maps),
                           InstanceMethod("setAutoload", &BpfObject::SetAutoload),
                           InstanceMethod("setGlobal", &BpfObject::SetGlobal),
                           InstanceMethod("setMaxEntries", &BpfObject::SetMaxEntries),
                           InstanceMethod("setAutocreate", &BpfObject::SetAutocreate),
                           InstanceMethod("load", &BpfObject::Load),
                           InstanceMethod("attach", &BpfObject::Attach),
                           InstanceMethod("attachPerfEvent", &BpfObject::AttachPerfEvent),
                           InstanceMethod("lookup", &BpfObject::Lookup),
                           InstanceMethod("update", &BpfObject::Update),
                           InstanceMethod("dump", &BpfObject::DumpSync),
                           InstanceMethod("dumpAsync", &BpfObject::DumpAsync),
                           InstanceMethod("openRing", &BpfObject::OpenRing),
                           InstanceMethod("consumeRing", &BpfObject::ConsumeRing),
                           InstanceMethod("pollRing", &BpfObject::PollRing),
                           InstanceMethod("progStats", &BpfObject::ProgStats),
                           InstanceMethod("close", &BpfObject::Close),
                       });
  }

  // new BpfObject(bytes: Buffer, name: string)
  explicit BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {
    Napi::Env env = info.Env();
    auto bytes = ArgBuffer(info, 0, "BpfObject(bytes)");
    name_ = ArgString(info, 1, "BpfObject(name)");
    bytes_.assign(bytes.Data(), bytes.Data() + bytes.Length());
    ClearLog();
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name_.c_str());
    obj_ = bpf_object__open_mem(bytes_.data(), bytes_.size(), &opts);
    long err = libbpf_get_error(obj_);
    if (err) {
      obj_ = nullptr;
      BpfError(env, "open", static_cast<int>(err), "BPF object " + name_).ThrowAsJavaScriptException();
    }
  }

  ~BpfObject() override { DoClose(); }

  void WorkerDone() {
    busy_--;
    if (busy_ == 0 && close_requested_) DoClose();
  }

 private:
  struct bpf_object* obj_ = nullptr;
  std::string name_;
  std::vector<uint8_t> bytes_;
  std::vector<struct bpf_link*> links_;
  std::vector<std::unique_ptr<Ring>> rings_;
  bool loaded_ = false;
  int busy_ = 0;
  bool close_requested_ = false;

  void DoClose() {
    for (auto& r : rings_) {
      if (r->rb) ring_buffer__free(r->rb);
      r->rb = nullptr;
    }
    rings_.clear();
    for (auto* l : links_) bpf_link__destroy(l);  // perf links close their perf event fd too
    links_.clear();
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
  }

  struct bpf_object* Obj(Napi::Env env) {
    if (!obj_ || close_requested_) throw Napi::Error::New(env, "BPF object " + name_ + " is closed");
    return obj_;
  }

  struct bpf_program* Prog(Napi::Env env, const std::string& name) {
    struct bpf_program* p = bpf_object__find_program_by_name(Obj(env), name.c_str());
    if (!p) throw Napi::Error::New(env, "BPF object " + name_ + " has no program " + name);
    return p;
  }

  struct bpf_map* Map(Napi::Env env, const std::string& name) {
    struct bpf_map* m = bpf_object__find_map_by_name(Obj(env), name.c_str());
    if (!m) throw Napi::Error::New(env, "BPF object " + name_ + " has no map " + name);
    return m;
  }

  uint32_t ValueStride(struct bpf_map* m) {
    uint32_t vs = bpf_map__value_size(m);
    if (IsPerCpu(bpf_map__type(m))) vs = ((vs + 7) & ~7u) * static_cast<uint32_t>(libbpf_num_possible_cpus());
    return vs;
  }

  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    struct bpf_program* p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, Obj(env)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(p));
      o.Set("section", bpf_program__section_name(p));
      o.Set("autoload", bpf_program__autoload(p));
      out.Set(i++, o);
    }
    return out;
  }

  Napi::Value Maps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    struct bpf_map* m;
    uint32_t i = 0;
    bpf_object__for_each_map(m, Obj(env)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_map__name(m));
      o.Set("type", static_cast<double>(bpf_map__type(m)));
      o.Set("keySize", bpf_map__key_size(m));
      o.Set("valueSize", bpf_map__value_size(m));
      o.Set("maxEntries", bpf_map__max_entries(m));
      out.Set(i++, o);
    }
    return out;
  }

  // setAutoload(program, on)
  Napi::Value SetAutoload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto p = Prog(env, ArgString(info, 0, "setAutoload(program)"));
    bool on = info.Length() > 1 && info[1].ToBoolean().Value();
    int err = bpf_program__set_autoload(p, on);
    if (err) throw BpfError(env, "setAutoload", err, name_);
    return env.Undefined();
  }

  // setGlobal(name, bytes): a `const volatile` (or .bss/.data) global, before load.
  Napi::Value SetGlobal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string var = ArgString(info, 0, "setGlobal(name)");
    auto value = ArgBuffer(info, 1, "setGlobal(value)");
    if (loaded_) throw Napi::Error::New(env, "setGlobal(" + var + "): the object is already loaded");
    const struct btf* btf = bpf_object__btf(Obj(env));
    if (!btf) throw Napi::Error::New(env, "setGlobal(" + var + "): the object has no BTF (compile with -g)");
    uint32_t n = btf__type_cnt(btf);
    for (uint32_t id = 1; id < n; id++) {
      const struct btf_type* t = btf__type_by_id(btf, id);
      if (!btf_is_datasec(t)) continue;
      std::string sec = btf__name_by_offset(btf, t->name_off);
      const struct btf_var_secinfo* vs = btf_var_secinfos(t);
      for (uint16_t k = 0; k < btf_vlen(t); k++, vs++) {
        const struct btf_type* vt = btf__type_by_id(btf, vs->type);
        if (var != btf__name_by_offset(btf, vt->name_off)) continue;
        if (value.Length() != vs->size)
          throw Napi::Error::New(env, "setGlobal(" + var + "): expected " + std::to_string(vs->size) + " bytes, got " + std::to_string(value.Length()));
        struct bpf_map* m;
        bpf_object__for_each_map(m, obj_) {
          std::string mn = bpf_map__name(m);
          if (!bpf_map__is_internal(m) || mn.size() < sec.size() || mn.compare(mn.size() - sec.size(), sec.size(), sec) != 0) continue;
          size_t size = 0;
          void* data = const_cast<void*>(bpf_map__initial_value(m, &size));
          if (!data || vs->offset + vs->size > size) throw Napi::Error::New(env, "setGlobal(" + var + "): section " + sec + " is too small");
          std::memcpy(static_cast<uint8_t*>(data) + vs->offset, value.Data(), vs->size);
          return env.Undefined();
        }
      }
    }
    throw Napi::Error::New(env, "setGlobal: BPF object " + name_ + " has no global " + var);
  }

  Napi::Value SetMaxEntries(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "setMaxEntries(map)"));
    if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "setMaxEntries(n): expected a number");
    int err = bpf_map__set_max_entries(m, info[1].As<Napi::Number>().Uint32Value());
    if (err) throw BpfError(env, "setMaxEntries", err, name_);
    return env.Undefined();
  }

  // setAutocreate(map, on): skip creating a map no loaded program uses (before load).
  Napi::Value SetAutocreate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "setAutocreate(map)"));
    int err = bpf_map__set_autocreate(m, info.Length() > 1 && info[1].ToBoolean().Value());
    if (err) throw BpfError(env, "setAutocreate", err, name_);
    return env.Undefined();
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ClearLog();
    int err = bpf_object__load(Obj(env));
    if (err) throw BpfError(env, "load", err, "BPF object " + name_);
    loaded_ = true;
    TakeLog();
    return env.Undefined();
  }

  // attach(program): by its section (tp_btf/, raw_tp/, tp/); returns the link's index.
  Napi::Value Attach(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string pn = ArgString(info, 0, "attach(program)");
    auto p = Prog(env, pn);
    ClearLog();
    struct bpf_link* l = bpf_program__attach(p);
    long err = libbpf_get_error(l);
    if (err) throw BpfError(env, "attach", static_cast<int>(err), pn + " (" + bpf_program__section_name(p) + ")");
    links_.push_back(l);
    return Napi::Number::New(env, static_cast<double>(links_.size() - 1));
  }

  // attachPerfEvent(program, frequencyHz): cpu-clock sampling on every online CPU; returns the
  // number of CPUs attached.
  Napi::Value AttachPerfEvent(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string pn = ArgString(info, 0, "attachPerfEvent(program)");
    auto p = Prog(env, pn);
    if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "attachPerfEvent(hz): expected a number");
    uint64_t hz = info[1].As<Napi::Number>().Uint32Value();
    int ncpu = libbpf_num_possible_cpus();
    int attached = 0;
    for (int cpu = 0; cpu < ncpu; cpu++) {
      struct perf_event_attr attr;
      std::memset(&attr, 0, sizeof attr);
      attr.type = PERF_TYPE_SOFTWARE;
      attr.size = sizeof attr;
      attr.config = PERF_COUNT_SW_CPU_CLOCK;
      attr.freq = 1;
      attr.sample_freq = hz;
      int fd = static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (fd < 0) {
        if (errno == ENODEV) continue;  // CPU offline
        throw BpfError(env, "perf_event_open", errno, "cpu-clock on CPU " + std::to_string(cpu));
      }
      struct bpf_link* l = bpf_program__attach_perf_event(p, fd);
      long err = libbpf_get_error(l);
      if (err) {
        close(fd);
        throw BpfError(env, "attach", static_cast<int>(err), pn + " (perf_event on CPU " + std::to_string(cpu) + ")");
      }
      links_.push_back(l);
      attached++;
    }
    return Napi::Number::New(env, attached);
  }

  // lookup(map, key): the value (all CPUs' values for per-CPU maps) or null.
  Napi::Value Lookup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "lookup(map)"));
    auto key = ArgBuffer(info, 1, "lookup(key)");
    if (key.Length() != bpf_map__key_size(m)) throw Napi::Error::New(env, "lookup: wrong key size");
    std::vector<uint8_t> v(ValueStride(m));
    if (bpf_map_lookup_elem(bpf_map__fd(m), key.Data(), v.data()) != 0) {
      if (errno == ENOENT) return env.Null();
      throw BpfError(env, "lookup", errno, bpf_map__name(m));
    }
    return Napi::Buffer<uint8_t>::Copy(env, v.data(), v.size());
  }

  // update(map, key, value)
  Napi::Value Update(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "update(map)"));
    auto key = ArgBuffer(info, 1, "update(key)");
    auto value = ArgBuffer(info, 2, "update(value)");
    if (key.Length() != bpf_map__key_size(m) || value.Length() != ValueStride(m)) throw Napi::Error::New(env, "update: wrong key or value size");
    if (bpf_map_update_elem(bpf_map__fd(m), key.Data(), value.Data(), BPF_ANY) != 0) throw BpfError(env, "update", errno, bpf_map__name(m));
    return env.Undefined();
  }

  Napi::Value DumpSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "dump(map)"));
    Dump d;
    DumpMap(bpf_map__fd(m), bpf_map__key_size(m), ValueStride(m), bpf_map__max_entries(m), &d);
    if (d.err) throw BpfError(env, "dump", d.err, bpf_map__name(m));
    return DumpToJs(env, d);
  }

  Napi::Value DumpAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "dumpAsync(map)"));
    auto* w = new DumpWorker(env, this, bpf_map__fd(m), bpf_map__key_size(m), ValueStride(m), bpf_map__max_entries(m));
    busy_++;
    w->Queue();
    return w->Promise();
  }

  // openRing(map): returns the ring's index for consumeRing/pollRing.
  Napi::Value OpenRing(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto m = Map(env, ArgString(info, 0, "openRing(map)"));
    auto r = std::make_unique<Ring>();
    r->rb = ring_buffer__new(bpf_map__fd(m), RingSample, r.get(), nullptr);
    long err = libbpf_get_error(r->rb);
    if (err) throw BpfError(env, "openRing", static_cast<int>(err), bpf_map__name(m));
    rings_.push_back(std::move(r));
    return Napi::Number::New(env, static_cast<double>(rings_.size() - 1));
  }

  Ring* RingAt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Obj(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "ring index: expected a number");
    uint32_t i = info[0].As<Napi::Number>().Uint32Value();
    if (i >= rings_.size()) throw Napi::Error::New(env, "no ring " + std::to_string(i));
    return rings_[i].get();
  }

  // consumeRing(ring): every record waiting now, as one batch Buffer (possibly empty).
  Napi::Value ConsumeRing(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Ring* r = RingAt(info);
    if (busy_) throw Napi::Error::New(env, "consumeRing: a pollRing is in flight");
    r->batch.clear();
    r->capped = false;
    int n = ring_buffer__consume(r->rb);
    if (n < 0 && !r->capped) throw BpfError(env, "consumeRing", n, name_);
    auto out = Napi::Buffer<uint8_t>::Copy(env, r->batch.data(), r->batch.size());
    r->batch.clear();
    return out;
  }

  // pollRing(ring, timeoutMs): waits (off the JS thread) until the BPF side wakes us or the
  // timeout passes, then consumes everything waiting; resolves to one batch Buffer.
  Napi::Value PollRing(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Ring* r = RingAt(info);
    int timeout = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 20;
    auto* w = new RingPollWorker(env, this, r, timeout);
    busy_++;
    w->Queue();
    return w->Promise();
  }

  // progStats(): per loaded program: id, run count and run time (non-zero only while
  // kernel.bpf_stats_enabled=1).
  Napi::Value ProgStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    struct bpf_program* p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, Obj(env)) {
      int fd = bpf_program__fd(p);
      if (fd < 0) continue;
      struct bpf_prog_info pi;
      std::memset(&pi, 0, sizeof pi);
      uint32_t len = sizeof pi;
      if (bpf_obj_get_info_by_fd(fd, &pi, &len) != 0) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(p));
      o.Set("id", pi.id);
      o.Set("runCount", static_cast<double>(pi.run_cnt));
      o.Set("runTimeNs", static_cast<double>(pi.run_time_ns));
      o.Set("recursionMisses", static_cast<double>(pi.recursion_misses));
      out.Set(i++, o);
    }
    return out;
  }

  // close(): detach everything and free the object (deferred until in-flight polls finish).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_ > 0) close_requested_ = true;
    else DoClose();
    return info.Env().Undefined();
  }
};

void RingPollWorker::Execute() {
  ring_->batch.clear();
  ring_->capped = false;
  int n = ring_buffer__poll(ring_->rb, timeout_ms_);
  if (n >= 0 || ring_->capped || n == -EINTR) {
    if (!ring_->capped) {
      n = ring_buffer__consume(ring_->rb);  // records submitted without a wakeup
      if (n < 0 && !ring_->capped) err_ = n;
    }
  } else {
    err_ = n;
  }
  out_.swap(ring_->batch);
}

void RingPollWorker::OnOK() {
  Napi::Env env = Env();
  if (err_) deferred_.Reject(BpfError(env, "pollRing", err_, "ring buffer").Value());
  else deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(env, out_.data(), out_.size()));
  owner_->WorkerDone();
}

void RingPollWorker::OnError(const Napi::Error& e) {
  deferred_.Reject(e.Value());
  owner_->WorkerDone();
}

void DumpWorker::OnOK() {
  Napi::Env env = Env();
  if (dump_.err) deferred_.Reject(BpfError(env, "dumpAsync", dump_.err, "map").Value());
  else deferred_.Resolve(DumpToJs(env, dump_));
  owner_->WorkerDone();
}

void DumpWorker::OnError(const Napi::Error& e) {
  deferred_.Reject(e.Value());
  owner_->WorkerDone();
}

// ---- module functions --------------------------------------------------------------------------

// embeddedObjects(): { name: Buffer } of the BPF objects compiled into this addon.
Napi::Value EmbeddedObjects(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  for (size_t i = 0; i < diag_bpf_object_count; i++) {
    o.Set(diag_bpf_objects[i].name, Napi::Buffer<uint8_t>::Copy(env, diag_bpf_objects[i].data, diag_bpf_objects[i].size));
  }
  return o;
}

// btfEnum(name): [{name, value}] of a kernel enum from /sys/kernel/btf/vmlinux, or null.
Napi::Value BtfEnum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string want = ArgString(info, 0, "btfEnum(name)");
  ClearLog();
  struct btf* btf = btf__load_vmlinux_btf();
  long err = libbpf_get_error(btf);
  if (err) throw BpfError(env, "btf", static_cast<int>(err), "kernel BTF");
  Napi::Value result = env.Null();
  uint32_t n = btf__type_cnt(btf);
  for (uint32_t id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!btf_is_any_enum(t) || want != btf__name_by_offset(btf, t->name_off)) continue;
    Napi::Array out = Napi::Array::New(env);
    for (uint16_t k = 0; k < btf_vlen(t); k++) {
      Napi::Object e = Napi::Object::New(env);
      if (btf_is_enum(t)) {
        const struct btf_enum* v = btf_enum(t) + k;
        e.Set("name", btf__name_by_offset(btf, v->name_off));
        e.Set("value", static_cast<double>(v->val));
      } else {
        const struct btf_enum64* v = btf_enum64(t) + k;
        e.Set("name", btf__name_by_offset(btf, v->name_off));
        e.Set("value", static_cast<double>(btf_enum64_value(v)));
      }
      out.Set(k, e);
    }
    result = out;
    break;
  }
  btf__free(btf);
  return result;
}

// btfStruct(object, name): {size, members: [{name, offset, size, bits?}]} of a struct in the BTF of
// one of the embedded BPF objects (the layout the compiler gave the records and map keys the
// TypeScript decoders read), or null when the object has no such struct. Opens the object
// without loading it: no privileges needed.
Napi::Value BtfStruct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string object = ArgString(info, 0, "btfStruct(object, name)");
  std::string want = ArgString(info, 1, "btfStruct(object, name)");
  const EmbeddedObject* found = nullptr;
  for (size_t i = 0; i < diag_bpf_object_count; i++) {
    if (diag_bpf_objects[i].name != nullptr && object == diag_bpf_objects[i].name) found = &diag_bpf_objects[i];
  }
  if (found == nullptr) throw Napi::Error::New(env, "btfStruct: the addon has no BPF object " + object);
  ClearLog();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = object.c_str());
  struct bpf_object* obj = bpf_object__open_mem(found->data, found->size, &opts);
  long err = libbpf_get_error(obj);
  if (err) throw BpfError(env, "open", static_cast<int>(err), "BPF object " + object);
  Napi::Value result = env.Null();
  struct btf* btf = bpf_object__btf(obj);
  int id = btf == nullptr ? -1 : btf__find_by_name_kind(btf, want.c_str(), BTF_KIND_STRUCT);
  if (id > 0) {
    const struct btf_type* t = btf__type_by_id(btf, static_cast<uint32_t>(id));
    Napi::Object out = Napi::Object::New(env);
    out.Set("size", Napi::Number::New(env, t->size));
    Napi::Array members = Napi::Array::New(env);
    const struct btf_member* m = btf_members(t);
    for (uint16_t k = 0; k < btf_vlen(t); k++, m++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("name", btf__name_by_offset(btf, m->name_off));
      e.Set("offset", Napi::Number::New(env, btf_member_bit_offset(t, k) / 8.0));
      __s64 size = btf__resolve_size(btf, m->type);
      e.Set("size", Napi::Number::New(env, static_cast<double>(size)));
      uint32_t bits = btf_member_bitfield_size(t, k);
      if (bits != 0) e.Set("bits", Napi::Number::New(env, bits));
      members.Set(k, e);
    }
    out.Set("members", members);
    result = out;
  }
  bpf_object__close(obj);
  return result;
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Value PossibleCpus(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), libbpf_num_possible_cpus());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(LibbpfPrint);
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  exports.Set("BpfObject", BpfObject::Init(env));
  exports.Set("embeddedObjects", Napi::Function::New(env, EmbeddedObjects));
  exports.Set("btfEnum", Napi::Function::New(env, BtfEnum));
  exports.Set("btfStruct", Napi::Function::New(env, BtfStruct));
  exports.Set("libbpfVersion", Napi::Function::New(env, LibbpfVersion));
  exports.Set("possibleCpus", Napi::Function::New(env, PossibleCpus));
  return exports;
}

}  // namespace

NODE_API_MODULE(diag_bpf, Init)
