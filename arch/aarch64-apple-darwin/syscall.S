/*
 * rt0 syscall trampoline: arm64 macOS (XNU).
 *
 * Contract: called from Rust with the C calling convention (AAPCS64: RT0_C_ARG0..7 = x0..x7,
 * result in RT0_C_RET = x0, x19-x28/fp/sp preserved, x9-x15 free; x18 is the platform's and is
 * never touched here). XNU takes the BSD number in RT0_SYSCALL_NR (x16) and arguments in
 * RT0_SYSCALL_ARG0..5 (x0..x5) on `svc #0x80` (libsyscall SYS.h DO_SYSCALL), and reports failure
 * with the C flag set and a positive errno in RT0_SYSCALL_RET (x0) (bsd/dev/arm/systemcalls.c).
 * We return -errno, the form the Rust side shares with Linux.
 *
 * Moves between conventions go through a 16-byte-aligned stack frame (store in C order, load in
 * syscall order), so they stay correct whatever registers the description names.
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
	.private_extern RT0_SYM_syscall6
	.p2align 2
RT0_SYM_syscall6:
	sub	sp, sp, #64			/* 7 slots, rounded to keep sp 16-aligned */
	str	RT0_C_ARG0, [sp, #0]		/* nr (no class prefix on arm64) */
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
	RT0_SYSCALL_INSTRUCTION
	b.cc	1f				/* C clear: RT0_SYSCALL_RET is the result */
	neg	RT0_SYSCALL_RET, RT0_SYSCALL_RET	/* C set: it is errno; return -errno */
1:	mov	RT0_C_RET, RT0_SYSCALL_RET	/* to the C result register */
	ret

/*
 * long rt0_raw_thread_create(void *(*func)(void *), void *arg, struct stack_header *stack)
 *
 * bsdthread_create(func, func_arg, stack, pthread, flags) (libpthread kern_support.c
 * _bsdthread_create): func in RT0_THREAD_CREATE_func (x0), arg in RT0_THREAD_CREATE_arg (x1),
 * stack in RT0_THREAD_CREATE_stack (x2), pthread = 0 in RT0_THREAD_CREATE_pthread (x3),
 * PTHREAD_START_CUSTOM in RT0_THREAD_CREATE_flags (x4): we own the stack. Unused sixth argument
 * register cleared. Returns >= 0 or -errno. The new thread starts at _rt0_raw_thread_start,
 * registered beforehand with bsdthread_register.
 */
	.globl	RT0_SYM_raw_thread_create
	.private_extern RT0_SYM_raw_thread_create
	.p2align 2
RT0_SYM_raw_thread_create:
	sub	sp, sp, #32			/* 3 slots, 16-aligned */
	str	RT0_C_ARG0, [sp, #0]		/* func */
	str	RT0_C_ARG1, [sp, #8]		/* arg */
	str	RT0_C_ARG2, [sp, #16]		/* stack */
	ldr	RT0_THREAD_CREATE_func, [sp, #0]	/* func  -> its register */
	ldr	RT0_THREAD_CREATE_arg, [sp, #8]		/* arg   -> its register */
	ldr	RT0_THREAD_CREATE_stack, [sp, #16]	/* stack -> its register */
	add	sp, sp, #32			/* frame gone before the trap */
	mov	RT0_THREAD_CREATE_pthread, xzr	/* pthread = 0 */
	MOVI32	RT0_THREAD_CREATE_flags, RT0_THREAD_CREATE_FLAGS	/* PTHREAD_START_CUSTOM */
	mov	RT0_SYSCALL_ARG5, xzr		/* unused sixth argument */
	mov	RT0_SYSCALL_NR, #RT0_SYS_thread_create	/* bsdthread_create */
	RT0_SYSCALL_INSTRUCTION
	b.cc	1f				/* C clear: success */
	neg	RT0_SYSCALL_RET, RT0_SYSCALL_RET	/* C set: -errno */
1:	mov	RT0_C_RET, RT0_SYSCALL_RET	/* to the C result register */
	ret

/*
 * The start routine registered with bsdthread_register: where XNU enters every raw thread.
 *
 * Contract (libpthread kern_support.c): RT0_THREAD_START_pthread, _kport, _func, _arg, _stack,
 * _flags = x0..x5; sp = stack on current kernels, lr = fp = 0, and the kernel never aligns sp.
 * So the stack comes from RT0_THREAD_START_stack, never from sp. [stack] holds the 16-byte
 * {map_base, map_len} header (src/thread.rs).
 *
 * kport is the name of a send right to this thread's own port that bsdthread_create copied out
 * to the task (_bsdthread_create: th_thport). Nobody else releases it: it is kept in x22 and
 * given back to bsdthread_terminate, which mach_port_deallocates it (_bsdthread_terminate);
 * with 0 there every raw thread would leak one port name for the life of the process.
 * x19-x22 are ours: nothing runs below this frame, and func keeps them (callee-saved).
 */
	.globl	RT0_SYM_raw_thread_start
	.private_extern RT0_SYM_raw_thread_start
	.p2align 2
RT0_SYM_raw_thread_start:
	mov	sp, RT0_THREAD_START_stack	/* trust the stack register, not sp */
	mov	x29, xzr			/* outermost frame: end of the frame chain ... */
	mov	x30, xzr			/* ... and no return address */
	mov	x22, RT0_THREAD_START_kport	/* our port's name, kept across the call (callee-saved) */
	mov	x19, RT0_THREAD_START_func	/* func, saved before the argument move below */
	ldp	x20, x21, [sp]			/* map_base, map_len, kept across the call (callee-saved) */
	mov	x9, sp				/* sp cannot be an AND source ... */
	and	sp, x9, #-RT0_STACK_ALIGNMENT	/* ... 16-aligned for the call (the header is already) */
	mov	RT0_C_ARG0, RT0_THREAD_START_arg	/* func(arg) */
	blr	x19
	/* bsdthread_terminate(stackaddr, freesize, port, sem): frees our stack, releases our port,
	   ends this thread only. */
	mov	RT0_SYSCALL_ARG0, x20		/* stackaddr = map_base */
	mov	RT0_SYSCALL_ARG1, x21		/* freesize = map_len */
	mov	RT0_SYSCALL_ARG2, x22		/* port = our kport: the kernel deallocates it */
	mov	RT0_SYSCALL_ARG3, xzr		/* no semaphore to signal */
	mov	RT0_SYSCALL_NR, #RT0_SYS_thread_terminate
	RT0_SYSCALL_INSTRUCTION
	udf	#0				/* bsdthread_terminate does not return */

	.subsections_via_symbols
