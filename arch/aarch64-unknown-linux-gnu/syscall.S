/*
 * rt0 syscall trampoline: aarch64 Linux.
 *
 * Contract: called from Rust with the C calling convention (AAPCS64: RT0_C_ARG0..7 = x0..x7,
 * result in RT0_C_RET = x0, x19-x28/fp/sp preserved, x9-x17 free). The kernel takes the number
 * in RT0_SYSCALL_NR (x8) and arguments in RT0_SYSCALL_ARG0..5 (x0..x5) on `svc #0`, restores
 * every register but RT0_SYSCALL_RET (x0), and returns -errno (-4095..-1) on failure, which is
 * already rt0's normalised form. aarch64 has no red zone: nothing is stored below sp.
 *
 * Moves between the two conventions go through a 16-byte-aligned stack frame (store in C order,
 * load in syscall order), so they stay correct whatever registers the description names.
 */
#include "rt0_abi.h"

/* Loads a 32-bit constant with no literal pool (movz + movk), whatever its value. */
	.macro	MOVI32 reg, value
	movz	\reg, #((\value) & 0xffff)		/* low half */
	movk	\reg, #(((\value) >> 16) & 0xffff), lsl #16	/* high half */
	.endm

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
	sub	sp, sp, #64			/* 7 slots, rounded to keep sp 16-aligned */
	.cfi_def_cfa_offset 64
	str	RT0_C_ARG0, [sp, #0]		/* nr */
	str	RT0_C_ARG1, [sp, #8]		/* a0 */
	str	RT0_C_ARG2, [sp, #16]		/* a1 */
	str	RT0_C_ARG3, [sp, #24]		/* a2 */
	str	RT0_C_ARG4, [sp, #32]		/* a3 */
	str	RT0_C_ARG5, [sp, #40]		/* a4 */
	str	RT0_C_ARG6, [sp, #48]		/* a5 */
	ldr	RT0_SYSCALL_NR, [sp, #0]	/* number register */
	ldr	RT0_SYSCALL_ARG0, [sp, #8]	/* a0 */
	ldr	RT0_SYSCALL_ARG1, [sp, #16]	/* a1 */
	ldr	RT0_SYSCALL_ARG2, [sp, #24]	/* a2 */
	ldr	RT0_SYSCALL_ARG3, [sp, #32]	/* a3 */
	ldr	RT0_SYSCALL_ARG4, [sp, #40]	/* a4 */
	ldr	RT0_SYSCALL_ARG5, [sp, #48]	/* a5 */
	add	sp, sp, #64			/* frame gone before the trap */
	.cfi_def_cfa_offset 0
	RT0_SYSCALL_INSTRUCTION			/* result or -errno in RT0_SYSCALL_RET */
	mov	RT0_C_RET, RT0_SYSCALL_RET	/* to the C result register (the same on Linux) */
	ret
	.cfi_endproc
	.size	RT0_SYM_syscall6, . - RT0_SYM_syscall6

/*
 * long rt0_raw_thread_create(void *(*func)(void *), void *arg, struct stack_header *stack)
 *
 * clone(flags, stack, ptid, tls, ctid) in arm64's order (CLONE_BACKWARDS) with
 * flags = RT0_THREAD_CREATE_FLAGS (VM|FS|FILES|SIGHAND|SYSVSEM|THREAD|SETTLS), ptid = ctid = 0
 * (no tid slots: nothing waits on the child's exit), tls = 0: the child has no thread pointer
 * (TPIDR_EL0 = 0). Returns the child's tid, or -errno. The child starts on `stack`, which points
 * at a 16-aligned {map_base, map_len, stub_word} header (src/thread.rs): it calls func(arg), then
 * unmaps its own stack and ends itself with exit (not exit_group).
 * func and arg reach the child in x19/x20: callee-saved, so the parent saves them, and the
 * kernel copies every register into the child.
 */
	.globl	RT0_SYM_raw_thread_create
	.hidden	RT0_SYM_raw_thread_create
	.type	RT0_SYM_raw_thread_create, @function
	.p2align 2
RT0_SYM_raw_thread_create:
	.cfi_startproc
	stp	x19, x20, [sp, #-32]!		/* callee-saved: will carry func and arg into the child */
	.cfi_def_cfa_offset 32
	.cfi_offset x19, -32
	.cfi_offset x20, -24
	mov	x19, RT0_C_ARG0			/* func: the child inherits x19 */
	mov	x20, RT0_C_ARG1			/* arg: the child inherits x20 */
	str	RT0_C_ARG2, [sp, #16]		/* stack, moved through memory in case it aliases */
	ldr	RT0_THREAD_CREATE_stack, [sp, #16]	/* clone's stack argument */
	MOVI32	RT0_THREAD_CREATE_flags, RT0_THREAD_CREATE_FLAGS	/* clone flags */
	mov	RT0_THREAD_CREATE_ptid, xzr	/* ptid = 0: no parent tid slot */
	mov	RT0_THREAD_CREATE_ctid, xzr	/* ctid = 0: no child tid slot */
	mov	RT0_THREAD_CREATE_tls, xzr	/* tls = 0: no thread pointer */
	mov	RT0_SYSCALL_NR, #RT0_SYS_thread_create	/* clone */
	RT0_SYSCALL_INSTRUCTION
	cbz	RT0_SYSCALL_RET, 1f		/* 0: we are the child */
	mov	RT0_C_RET, RT0_SYSCALL_RET	/* parent: tid or -errno */
	ldp	x19, x20, [sp], #32		/* restore the caller's x19, x20 */
	.cfi_def_cfa_offset 0
	ret
1:	/* Child: sp = the header, every signal blocked, x19 = func, x20 = arg. */
	mov	x29, xzr			/* outermost frame: end of the frame chain ... */
	mov	x30, xzr			/* ... and no return address */
	ldp	x21, x22, [sp, #RT0_STACK_HEADER_map_base]	/* map_base, map_len, kept across the call (callee-saved) */
	mov	x9, sp				/* sp cannot be an AND source ... */
	and	sp, x9, #-RT0_STACK_ALIGNMENT	/* ... 16-aligned for the call (the header is already) */
	mov	RT0_C_ARG0, x20			/* func(arg) */
	blr	x19
	/* Free our own stack and end this thread: no stack is used after munmap. */
	mov	RT0_SYSCALL_ARG0, x21		/* munmap(map_base, map_len) */
	mov	RT0_SYSCALL_ARG1, x22
	mov	RT0_SYSCALL_NR, #RT0_SYS_munmap
	RT0_SYSCALL_INSTRUCTION
	mov	RT0_SYSCALL_ARG0, xzr		/* exit(0): this thread only */
	mov	RT0_SYSCALL_NR, #RT0_SYS_exit
	RT0_SYSCALL_INSTRUCTION
	udf	#0				/* exit does not return */
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

	.section .note.GNU-stack, "", @progbits
