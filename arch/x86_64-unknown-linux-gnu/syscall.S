/*
 * rt0 syscall trampoline: x86_64 Linux.
 *
 * Contract: called from Rust with the C calling convention (RT0_C_ARG0..5 = rdi rsi rdx rcx
 * r8 r9, 7th argument at 8(%rsp)). The kernel takes the number in RT0_SYSCALL_NR (rax) and
 * arguments in RT0_SYSCALL_ARG0..5 (rdi rsi rdx r10 r8 r9); it destroys rcx and r11 and returns
 * -errno (-4095..-1) on failure, which is already rt0's normalised form.
 *
 * Moves between the two conventions go through the stack (push in C order, pop in syscall
 * order), so they stay correct whatever registers the description names.
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
	.p2align 4
RT0_SYM_syscall6:
	.cfi_startproc
	push	8(%rsp)			/* a5 (the caller's 7th argument) */
	push	RT0_C_ARG5			/* a4 */
	push	RT0_C_ARG4			/* a3 */
	push	RT0_C_ARG3			/* a2 */
	push	RT0_C_ARG2			/* a1 */
	push	RT0_C_ARG1			/* a0 */
	push	RT0_C_ARG0			/* nr */
	pop	RT0_SYSCALL_NR			/* number register */
	pop	RT0_SYSCALL_ARG0		/* a0 */
	pop	RT0_SYSCALL_ARG1		/* a1 */
	pop	RT0_SYSCALL_ARG2		/* a2 */
	pop	RT0_SYSCALL_ARG3		/* a3 (r10: the kernel's 4th argument is not rcx) */
	pop	RT0_SYSCALL_ARG4		/* a4 */
	pop	RT0_SYSCALL_ARG5		/* a5 */
	RT0_SYSCALL_INSTRUCTION		/* result or -errno in rax */
	ret
	.cfi_endproc
	.size	RT0_SYM_syscall6, . - RT0_SYM_syscall6

/*
 * long rt0_raw_thread_create(void *(*func)(void *), void *arg, struct stack_header *stack)
 *
 * clone(flags, stack, ptid, ctid, tls) with flags = RT0_THREAD_CREATE_FLAGS
 * (VM|FS|FILES|SIGHAND|SYSVSEM|THREAD|SETTLS), ptid = ctid = 0 (no tid slots: nothing waits
 * on the child's exit), tls = 0: the child has no thread pointer.
 * Returns the child's tid, or -errno. The child starts on `stack`, which points at a
 * {map_base, map_len, stub_word} header (src/thread.rs): it calls func(arg), then unmaps
 * its own stack and ends itself with exit (not exit_group): the process lives on.
 */
	.globl	RT0_SYM_raw_thread_create
	.hidden	RT0_SYM_raw_thread_create
	.type	RT0_SYM_raw_thread_create, @function
	.p2align 4
RT0_SYM_raw_thread_create:
	.cfi_startproc
	push	%r12				/* callee-saved: will carry func into the child */
	push	%r13				/* callee-saved: will carry arg into the child */
	mov	RT0_C_ARG0, %r12		/* func: the child inherits r12 */
	mov	RT0_C_ARG1, %r13		/* arg: the child inherits r13 */
	push	RT0_C_ARG2			/* stack, moved through the stack in case it aliases */
	pop	RT0_THREAD_CREATE_stack		/* clone's stack argument */
	mov	$RT0_THREAD_CREATE_FLAGS, RT0_THREAD_CREATE_flags	/* clone flags */
	xor	RT0_THREAD_CREATE_ptid, RT0_THREAD_CREATE_ptid	/* ptid = 0: no parent tid slot */
	xor	RT0_THREAD_CREATE_ctid, RT0_THREAD_CREATE_ctid	/* ctid = 0: no child tid slot */
	xor	RT0_THREAD_CREATE_tls, RT0_THREAD_CREATE_tls	/* tls = 0: no thread pointer */
	mov	$RT0_SYS_thread_create, RT0_SYSCALL_NR		/* clone */
	RT0_SYSCALL_INSTRUCTION
	test	%rax, %rax
	jz	1f				/* 0: we are the child */
	pop	%r13				/* parent: tid or -errno in rax */
	pop	%r12
	ret
1:	/* Child: rsp = the header, every signal blocked, r12 = func, r13 = arg. */
	xor	%ebp, %ebp			/* outermost frame: end of the frame chain */
	mov	RT0_STACK_HEADER_map_base(%rsp), %r14			/* map_base, kept across the call (callee-saved) */
	mov	RT0_STACK_HEADER_map_len(%rsp), %r15			/* map_len */
	and	$-RT0_STACK_ALIGNMENT, %rsp	/* aligned before the call, as the psABI wants */
	mov	%r13, RT0_C_ARG0		/* func(arg) */
	call	*%r12
	/* Free our own stack and end this thread: no stack is used after munmap. */
	mov	%r14, RT0_SYSCALL_ARG0		/* munmap(map_base, map_len) */
	mov	%r15, RT0_SYSCALL_ARG1
	mov	$RT0_SYS_munmap, RT0_SYSCALL_NR
	RT0_SYSCALL_INSTRUCTION
	xor	RT0_SYSCALL_ARG0, RT0_SYSCALL_ARG0	/* exit(0): this thread only */
	mov	$RT0_SYS_exit, RT0_SYSCALL_NR
	RT0_SYSCALL_INSTRUCTION
	ud2					/* exit does not return */
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
