/*
 * rt0 syscall trampoline: x86_64 macOS (XNU).
 *
 * Contract: called from Rust with the C calling convention (RT0_C_ARG0..5 = rdi rsi rdx rcx
 * r8 r9, 7th argument at 8(%rsp)). XNU takes 0x2000000 | n (SYSCALL_CLASS_UNIX << 24) in
 * RT0_SYSCALL_NR (rax), arguments in RT0_SYSCALL_ARG0..5 (rdi rsi rdx r10 r8 r9: libsyscall's
 * SYS.h moves rcx to r10), destroys rcx and r11, and reports failure with the carry flag set and
 * a positive errno in rax (bsd/dev/i386/systemcalls.c unix_syscall64). We return -errno, the form
 * the Rust side shares with Linux.
 *
 * Moves between conventions go through the stack (push in C order, pop in syscall order), so
 * they stay correct whatever registers the description names.
 */
#include "rt0_abi.h"

	.text

/*
 * long rt0_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
 * Returns the result, or -errno.
 */
	.globl	RT0_SYM_syscall6
	.private_extern RT0_SYM_syscall6
	.p2align 4
RT0_SYM_syscall6:
	push	8(%rsp)			/* a5 (the caller's 7th argument) */
	push	RT0_C_ARG5			/* a4 */
	push	RT0_C_ARG4			/* a3 */
	push	RT0_C_ARG3			/* a2 */
	push	RT0_C_ARG2			/* a1 */
	push	RT0_C_ARG1			/* a0 */
	push	RT0_C_ARG0			/* nr, class prefix already applied by the caller */
	pop	RT0_SYSCALL_NR			/* number register */
	pop	RT0_SYSCALL_ARG0		/* a0 */
	pop	RT0_SYSCALL_ARG1		/* a1 */
	pop	RT0_SYSCALL_ARG2		/* a2 */
	pop	RT0_SYSCALL_ARG3		/* a3 (r10, not rcx) */
	pop	RT0_SYSCALL_ARG4		/* a4 */
	pop	RT0_SYSCALL_ARG5		/* a5 */
	RT0_SYSCALL_INSTRUCTION
	jnc	1f				/* carry clear: rax is the result */
	neg	%rax				/* carry set: rax = errno, return -errno */
1:	ret

/*
 * long rt0_raw_thread_create(void *(*func)(void *), void *arg, struct stack_header *stack)
 *
 * bsdthread_create(func, func_arg, stack, pthread, flags) (libpthread kern_support.c
 * _bsdthread_create): func in RT0_THREAD_CREATE_func (rdi), arg in RT0_THREAD_CREATE_arg (rsi),
 * stack in RT0_THREAD_CREATE_stack (rdx), pthread = 0 in RT0_THREAD_CREATE_pthread (r10),
 * PTHREAD_START_CUSTOM in RT0_THREAD_CREATE_flags (r8): we own the stack. Unused sixth argument
 * register cleared. Returns >= 0 or -errno. The new thread starts at _rt0_raw_thread_start,
 * registered beforehand with bsdthread_register.
 */
	.globl	RT0_SYM_raw_thread_create
	.private_extern RT0_SYM_raw_thread_create
	.p2align 4
RT0_SYM_raw_thread_create:
	push	RT0_C_ARG2			/* stack */
	push	RT0_C_ARG1			/* arg */
	push	RT0_C_ARG0			/* func */
	pop	RT0_THREAD_CREATE_func		/* func  -> its register */
	pop	RT0_THREAD_CREATE_arg		/* arg   -> its register */
	pop	RT0_THREAD_CREATE_stack		/* stack -> its register */
	xor	RT0_THREAD_CREATE_pthread, RT0_THREAD_CREATE_pthread	/* pthread = 0 */
	mov	$RT0_THREAD_CREATE_FLAGS, RT0_THREAD_CREATE_flags	/* PTHREAD_START_CUSTOM */
	xor	RT0_SYSCALL_ARG5, RT0_SYSCALL_ARG5	/* unused sixth argument */
	mov	$RT0_SYS_thread_create, RT0_SYSCALL_NR	/* 0x2000000 + 360 */
	RT0_SYSCALL_INSTRUCTION
	jnc	1f
	neg	%rax				/* carry set: -errno */
1:	ret

/*
 * The start routine registered with bsdthread_register: where XNU enters every raw thread.
 *
 * Contract (libpthread kern_support.c, XNU osfmk/i386/pcb_native.c): RT0_THREAD_START_pthread,
 * _kport, _func, _arg, _stack, _flags = rdi, rsi, rdx, rcx, r8, r9; rsp = stack on current
 * kernels but stack - 128 with libpthread <= 330, and the kernel never aligns it. So the stack
 * comes from RT0_THREAD_START_stack, never from rsp. [stack] holds {map_base, map_len}.
 *
 * kport is the name of a send right to this thread's own port that bsdthread_create copied out
 * to the task (_bsdthread_create: th_thport). Nobody else releases it: it is kept in r14 and
 * given back to bsdthread_terminate, which mach_port_deallocates it (_bsdthread_terminate);
 * with 0 there every raw thread would leak one port name for the life of the process.
 * r12-r14 are ours: nothing runs below this frame, and func keeps them (callee-saved).
 */
	.globl	RT0_SYM_raw_thread_start
	.private_extern RT0_SYM_raw_thread_start
	.p2align 4
RT0_SYM_raw_thread_start:
	mov	RT0_THREAD_START_stack, %rsp	/* trust the stack register, not rsp */
	xor	%ebp, %ebp			/* outermost frame: end of the frame chain */
	mov	RT0_THREAD_START_kport, %r14	/* our port's name, kept across the call (callee-saved) */
	push	RT0_THREAD_START_func		/* func, moved through the stack ... */
	push	RT0_THREAD_START_arg		/* ... with arg, in case registers alias */
	pop	RT0_C_ARG0			/* arg -> first C argument */
	pop	%rax				/* func */
	mov	0(%rsp), %r12			/* map_base, kept across the call (callee-saved) */
	mov	8(%rsp), %r13			/* map_len */
	and	$-RT0_STACK_ALIGNMENT, %rsp	/* aligned before the call, as the psABI wants */
	call	*%rax				/* func(arg) */
	/* bsdthread_terminate(stackaddr, freesize, port, sem): frees our stack, releases our port,
	   ends this thread only. */
	mov	%r12, RT0_SYSCALL_ARG0		/* stackaddr = map_base */
	mov	%r13, RT0_SYSCALL_ARG1		/* freesize = map_len */
	mov	%r14, RT0_SYSCALL_ARG2		/* port = our kport: the kernel deallocates it */
	xor	RT0_SYSCALL_ARG3, RT0_SYSCALL_ARG3	/* no semaphore to signal */
	mov	$RT0_SYS_thread_terminate, RT0_SYSCALL_NR
	RT0_SYSCALL_INSTRUCTION
	ud2					/* bsdthread_terminate does not return */

	.subsections_via_symbols
