/*
 * rt0 syscall trampoline and raw thread create: riscv64 Linux.
 *
 * Contract: called from Rust with the C calling convention (psABI: RT0_C_ARG0..7 = a0..a7,
 * result in RT0_C_RET = a0, s0-s11 and sp preserved, t0-t6 free, tp/gp never changed). The
 * kernel takes the number in RT0_SYSCALL_NR (a7) and the arguments in RT0_SYSCALL_ARG0..5
 * (a0..a5) on `ecall`, restores every register but RT0_SYSCALL_RET (a0), and returns -errno
 * (-4095..-1) on failure, which is already rt0's normalised form (linux
 * arch/riscv/include/asm/syscall.h). riscv64 has no red zone: nothing is stored below sp.
 *
 * Moves between the two conventions go through a 16-byte-aligned stack frame (store in C order,
 * load in syscall order), so they stay correct whatever registers the description names.
 * The code names no symbol: no relocation, no PLT (rustc calls these through the PLT; these
 * stubs call nothing). The one data word at the end names `_DYNAMIC`.
 */
#include "rt0_abi.h"

	.text

/*
 * long rt0_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
 * Returns the result, or -errno.
 */
	.globl	RT0_SYM_syscall6
	.hidden	RT0_SYM_syscall6
	.type	RT0_SYM_syscall6, @function
	.p2align 2
RT0_SYM_syscall6:
	.cfi_startproc
	addi	sp, sp, -64			/* 7 slots, rounded to keep sp 16-aligned */
	.cfi_def_cfa_offset 64
	sd	RT0_C_ARG0, 0(sp)		/* nr */
	sd	RT0_C_ARG1, 8(sp)		/* a0 */
	sd	RT0_C_ARG2, 16(sp)		/* a1 */
	sd	RT0_C_ARG3, 24(sp)		/* a2 */
	sd	RT0_C_ARG4, 32(sp)		/* a3 */
	sd	RT0_C_ARG5, 40(sp)		/* a4 */
	sd	RT0_C_ARG6, 48(sp)		/* a5 */
	ld	RT0_SYSCALL_NR, 0(sp)		/* number register */
	ld	RT0_SYSCALL_ARG0, 8(sp)		/* a0 */
	ld	RT0_SYSCALL_ARG1, 16(sp)	/* a1 */
	ld	RT0_SYSCALL_ARG2, 24(sp)	/* a2 */
	ld	RT0_SYSCALL_ARG3, 32(sp)	/* a3 */
	ld	RT0_SYSCALL_ARG4, 40(sp)	/* a4 */
	ld	RT0_SYSCALL_ARG5, 48(sp)	/* a5 */
	addi	sp, sp, 64			/* frame gone before the trap */
	.cfi_def_cfa_offset 0
	RT0_SYSCALL_INSTRUCTION			/* result or -errno in RT0_SYSCALL_RET */
	mv	RT0_C_RET, RT0_SYSCALL_RET	/* to the C result register (the same on Linux) */
	ret
	.cfi_endproc
	.size	RT0_SYM_syscall6, . - RT0_SYM_syscall6

/*
 * long rt0_raw_thread_create(void *(*func)(void *), void *arg, struct stack_header *stack)
 *
 * clone(flags, stack, ptid, tls, ctid) in riscv's order (CLONE_BACKWARDS) with
 * flags = RT0_THREAD_CREATE_FLAGS (VM|FS|FILES|SIGHAND|SYSVSEM|THREAD|SETTLS), ptid = ctid = 0
 * (no tid slots: nothing waits on the child's exit), tls = 0: the child's tp is 0, so a stray
 * TLS access faults at once. Returns the child's tid, or -errno.
 * The child starts on `stack`, which points at a 16-aligned {map_base, map_len, stub_word}
 * header (src/thread.rs; its offsets are RT0_STACK_HEADER_* from build.rs): it calls func(arg),
 * then unmaps its own stack and ends itself with exit (not exit_group).
 * func and arg reach the child in s1/s2: callee-saved, so the parent saves them, and the kernel
 * copies every register into the child (linux arch/riscv/kernel/process.c copy_thread), with
 * sp = stack, tp = tls and a0 = 0.
 */
	.globl	RT0_SYM_raw_thread_create
	.hidden	RT0_SYM_raw_thread_create
	.type	RT0_SYM_raw_thread_create, @function
	.p2align 2
RT0_SYM_raw_thread_create:
	.cfi_startproc
	addi	sp, sp, -32			/* s1, s2, one spill slot, pad: 16-aligned */
	.cfi_def_cfa_offset 32
	sd	s1, 0(sp)			/* callee-saved: will carry func into the child */
	sd	s2, 8(sp)			/* callee-saved: will carry arg into the child */
	.cfi_offset s1, -32
	.cfi_offset s2, -24
	mv	s1, RT0_C_ARG0			/* func: the child inherits s1 */
	mv	s2, RT0_C_ARG1			/* arg: the child inherits s2 */
	sd	RT0_C_ARG2, 16(sp)		/* stack, moved through memory in case it aliases */
	ld	RT0_THREAD_CREATE_stack, 16(sp)	/* clone's stack argument */
	li	RT0_THREAD_CREATE_flags, RT0_THREAD_CREATE_FLAGS	/* clone flags (lui + addiw) */
	li	RT0_THREAD_CREATE_ptid, 0	/* ptid = 0: no parent tid slot */
	li	RT0_THREAD_CREATE_ctid, 0	/* ctid = 0: no child tid slot */
	li	RT0_THREAD_CREATE_tls, 0	/* tls = 0: the child's tp is 0 */
	li	RT0_SYSCALL_NR, RT0_SYS_thread_create	/* clone */
	RT0_SYSCALL_INSTRUCTION
	beqz	RT0_SYSCALL_RET, 1f		/* 0: we are the child */
	mv	RT0_C_RET, RT0_SYSCALL_RET	/* parent: tid or -errno */
	ld	s1, 0(sp)			/* restore the caller's s1 ... */
	ld	s2, 8(sp)			/* ... and s2 */
	addi	sp, sp, 32			/* pop the frame */
	.cfi_def_cfa_offset 0
	ret
1:	/* Child: sp = the header, tp = 0, every signal blocked, s1 = func, s2 = arg. */
	li	s0, 0				/* outermost frame: end of the frame chain ... */
	li	ra, 0				/* ... and no return address */
	ld	s3, RT0_STACK_HEADER_map_base(sp)	/* map_base, kept across the call (callee-saved) */
	ld	s4, RT0_STACK_HEADER_map_len(sp)	/* map_len, likewise */
	andi	sp, sp, -RT0_STACK_ALIGNMENT	/* 16-aligned for the call (the header is already) */
	mv	RT0_C_ARG0, s2			/* func(arg) */
	jalr	s1
	/* Free our own stack and end this thread: no stack is used after munmap. */
	mv	RT0_SYSCALL_ARG0, s3		/* munmap(map_base, ... */
	mv	RT0_SYSCALL_ARG1, s4		/* ... map_len) */
	li	RT0_SYSCALL_NR, RT0_SYS_munmap
	RT0_SYSCALL_INSTRUCTION
	li	RT0_SYSCALL_ARG0, 0		/* exit(0): this thread only */
	li	RT0_SYSCALL_NR, RT0_SYS_exit
	RT0_SYSCALL_INSTRUCTION
	unimp					/* exit does not return */
	.cfi_endproc
	.size	RT0_SYM_raw_thread_create, . - RT0_SYM_raw_thread_create

/*
 * const void *rt0_own_dynamic: the address of this image's dynamic section (`_DYNAMIC`), or 0
 * in a program that has none (a static, non-PIE program).
 *
 * Contract: a data word, not code. The linker defines `_DYNAMIC` in every image that has a
 * dynamic section (a shared library, a PIE, a static-pie) and leaves an undefined weak
 * reference at 0 elsewhere; the word's relocation (RELATIVE in a position-independent image) is
 * applied before any initializer runs, and the section is read-only after relocation (RELRO).
 * rt0 finds its own object in the loader's list by this address (a link_map's `l_ld`), reads its
 * own dynamic section through it, and compares it with the program's (src/loader/nolibc/).
 */
	.weak	_DYNAMIC
	.hidden	_DYNAMIC
	.section .data.rel.ro, "aw"
	.globl	RT0_SYM_own_dynamic
	.hidden	RT0_SYM_own_dynamic
	.type	RT0_SYM_own_dynamic, @object
	.p2align 3
RT0_SYM_own_dynamic:
	.quad	_DYNAMIC
	.size	RT0_SYM_own_dynamic, 8

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
