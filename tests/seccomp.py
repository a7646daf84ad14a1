"""A process where unshare(2) is refused, as under a container runtime's
default seccomp policy: for the tests of what modpy does there.  Call
`refuse_unshare` in the child before exec (Popen's preexec_fn); the filter
holds for the process and everything it starts."""
from __future__ import annotations

import ctypes
import errno
import platform
import struct

# (AUDIT_ARCH_*, __NR_unshare) of the machines the tests run on
ARCHES = {"x86_64": (0xC000003E, 272), "aarch64": (0xC00000B7, 97)}

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06     # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K


def _filter() -> bytes:
    """seccomp_data is (nr: u32, arch: u32, ...): on our arch, unshare
    answers EPERM; everything else is allowed."""
    arch, nr = ARCHES[platform.machine()]
    program = [(LD_W_ABS, 0, 0, 4),                  # A = arch
               (JEQ_K, 0, 3, arch),                  # another arch: allow
               (LD_W_ABS, 0, 0, 0),                  # A = syscall number
               (JEQ_K, 0, 1, nr),                    # not unshare: allow
               (RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
               (RET_K, 0, 0, SECCOMP_RET_ALLOW)]
    return b"".join(struct.pack("HBBI", *insn) for insn in program)


def refuse_unshare() -> None:
    program = _filter()
    code = ctypes.create_string_buffer(program, len(program))
    prog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(code))    # sock_fprog
    libc = ctypes.CDLL(None, use_errno=True)
    if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_char_p(prog), 0, 0) != 0):
        raise OSError(ctypes.get_errno(), "cannot install the seccomp filter")
