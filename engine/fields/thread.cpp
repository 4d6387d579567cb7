// thread.*: the acting thread (ids and capability sets).
#include "engine/fields/simple.h"

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;

void ex_tid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.tid); }
void ex_vtid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.vtid); }
void ex_ismain(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_bool(s, e.proc.tid == e.proc.pid); }
void caps(uint64_t v, ExtractSlot& s) {
  fields::render_caps(v, s.buf);
  fields::set_buf(s);
}
void ex_cap_eff(const Event& e, const FieldArg&, ExtractSlot& s) { caps(e.proc.cap_effective, s); }
void ex_cap_perm(const Event& e, const FieldArg&, ExtractSlot& s) { caps(e.proc.cap_permitted, s); }
void ex_cap_inh(const Event& e, const FieldArg&, ExtractSlot& s) { caps(e.proc.cap_inheritable, s); }

constexpr FieldDef kDefs[] = {
    {"thread.tid", FieldType::kInt64, 0, "thread id", ex_tid},
    {"thread.vtid", FieldType::kInt64, 0, "thread id in its pid namespace", ex_vtid},
    {"thread.ismain", FieldType::kBool, 0, "thread is the main thread of its process", ex_ismain},
    {"thread.cap_effective", FieldType::kFlags, 0, "effective capabilities, e.g. 'CAP_CHOWN CAP_SYS_ADMIN'",
     ex_cap_eff},
    {"thread.cap_permitted", FieldType::kFlags, 0, "permitted capabilities", ex_cap_perm},
    {"thread.cap_inheritable", FieldType::kFlags, 0, "inheritable capabilities", ex_cap_inh},
};

}  // namespace

void register_thread_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
