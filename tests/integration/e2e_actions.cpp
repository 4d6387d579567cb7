// pg-e2e-action: the suspicious actions of the sensor end-to-end test that no stock command-line tool performs
// (modelled on falcosecurity/event-generator). Each subcommand does one thing for real and exits 0 when the
// action was carried out (a refused syscall still counts: the attempt is what the rules detect).
//
//   pg-e2e-action ptrace-attach            fork a child and PTRACE_ATTACH to it
//   pg-e2e-action ptrace-traceme           PTRACE_TRACEME (anti-debug)
//   pg-e2e-action memfd-exec FILE ARGS...  copy FILE into a memfd and fexecve it
//   pg-e2e-action packet-socket            open an AF_PACKET raw socket
//   pg-e2e-action reverse-shell            connect to a loopback listener, dup2 the socket onto 0/1/2, exec sh
//   pg-e2e-action module-load              finit_module() on a file that is not a module
//   pg-e2e-action in-cgroup DIR CMD ARGS.. join the cgroup v2 directory DIR, then exec CMD
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "pg-e2e-action: %s: %s\n", what, std::strerror(errno));
  return 1;
}

int ptrace_attach() {
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    for (;;) pause();
  }
  int rc = 0;
  if (ptrace(PTRACE_ATTACH, child, nullptr, nullptr) != 0) {
    rc = fail("PTRACE_ATTACH");
  } else {
    int st = 0;
    waitpid(child, &st, 0);  // the attach stop
    ptrace(PTRACE_DETACH, child, nullptr, nullptr);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return rc;
}

int ptrace_traceme() { return ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 ? 0 : fail("PTRACE_TRACEME"); }

int memfd_exec(int argc, char** argv) {
  if (argc < 3) return fail("usage: memfd-exec FILE ARGS...");
  int mfd = static_cast<int>(syscall(SYS_memfd_create, "pg-e2e", 0));
  if (mfd < 0) return fail("memfd_create");
  std::ifstream in(argv[2], std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) return fail("read FILE");
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = write(mfd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) return fail("write memfd");
    off += static_cast<size_t>(n);
  }
  fexecve(mfd, argv + 2, environ);
  return fail("fexecve");
}

int packet_socket() {
  int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (s < 0) return fail("socket(AF_PACKET)");
  close(s);
  return 0;
}

int reverse_shell() {
  int lsn = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (lsn < 0 || bind(lsn, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(lsn, 1) != 0 ||
      getsockname(lsn, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return fail("listen on 127.0.0.1");
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) _exit(fail("connect"));
    for (int fd = 0; fd < 3; ++fd) dup2(s, fd);
    execl("/bin/sh", "sh", "-c", "echo connected", static_cast<char*>(nullptr));
    _exit(fail("exec sh"));
  }
  int conn = accept(lsn, nullptr, nullptr);
  char buf[64];
  if (conn >= 0) {
    while (read(conn, buf, sizeof(buf)) > 0) {
    }
    close(conn);
  }
  int st = 0;
  waitpid(child, &st, 0);
  close(lsn);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int module_load() {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open /dev/null");
  long rc = syscall(SYS_finit_module, fd, "", 0);
  if (rc == 0) std::fprintf(stderr, "pg-e2e-action: finit_module unexpectedly succeeded\n");
  close(fd);
  return 0;
}

int in_cgroup(int argc, char** argv) {
  if (argc < 4) return fail("usage: in-cgroup DIR CMD ARGS...");
  std::ofstream procs(std::string(argv[2]) + "/cgroup.procs");
  procs << getpid() << std::flush;
  if (!procs) return fail("join cgroup");
  procs.close();
  execv(argv[3], argv + 3);
  return fail("exec");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "ptrace-attach") return ptrace_attach();
  if (cmd == "ptrace-traceme") return ptrace_traceme();
  if (cmd == "memfd-exec") return memfd_exec(argc, argv);
  if (cmd == "packet-socket") return packet_socket();
  if (cmd == "reverse-shell") return reverse_shell();
  if (cmd == "module-load") return module_load();
  if (cmd == "in-cgroup") return in_cgroup(argc, argv);
  std::fprintf(stderr, "usage: pg-e2e-action ptrace-attach|ptrace-traceme|memfd-exec|packet-socket|reverse-shell|"
                       "module-load|in-cgroup ...\n");
  return 2;
}
