// user.* and group.*: identity of the acting process (names resolved in user space by the sensor).
#include "engine/fields/simple.h"

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;

void ex_uid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.proc.uid); }
void ex_euid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.proc.euid); }
void ex_name(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.user_name.empty()) fields::set_str(s, e.proc.user_name);
}
void ex_loginuid(const Event& e, const FieldArg&, ExtractSlot& s) {
  fields::set_int(s, e.proc.loginuid == 0xffffffffu ? -1 : static_cast<int64_t>(e.proc.loginuid));
}
void ex_loginname(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.loginname.empty()) fields::set_str(s, e.proc.loginname);
}
void ex_gid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.proc.gid); }
void ex_egid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.proc.egid); }
void ex_gname(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.group_name.empty()) fields::set_str(s, e.proc.group_name);
}

constexpr FieldDef kDefs[] = {
    {"user.uid", FieldType::kUint64, 0, "user id", ex_uid},
    {"user.euid", FieldType::kUint64, 0, "effective user id", ex_euid},
    {"user.name", FieldType::kString, 0, "user name", ex_name},
    {"user.loginuid", FieldType::kInt64, 0, "audit login uid (-1 when unset)", ex_loginuid},
    {"user.loginname", FieldType::kString, 0, "audit login user name", ex_loginname},
    {"group.gid", FieldType::kUint64, 0, "group id", ex_gid},
    {"group.egid", FieldType::kUint64, 0, "effective group id", ex_egid},
    {"group.name", FieldType::kString, 0, "group name", ex_gname},
};

}  // namespace

void register_user_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
