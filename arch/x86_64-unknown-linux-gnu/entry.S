/*
 * rt0 library entry stub: x86_64 Linux (ELF, glibc; shared with musl through arch/targets.toml).
 *
 * Contract (the caller's side):
 *   The loader calls each library's initializer (a record rt0::lib_entry! places in
 *   .init_array) on the loading thread; glibc passes (argc, argv, envp) (elf/dl-init.c
 *   call_init; csu/libc-start.c for static programs), musl passes nothing. The initializer
 *   forwards its five argument registers untouched and adds its library's entry record:
 *       void RT0_SYM_lib_entry(i0, i1, i2, i3, i4, const struct entry_record *record)
 *   so argc, argv, envp are in RT0_INIT_argc, RT0_INIT_argv, RT0_INIT_envp (edi, rsi, rdx)
 *   where the description names them, and the record is in RT0_C_ARG5 (r9).
 *   (rsp + 8) % 16 == 0 at entry. The stub keeps rbx, rbp, r12-r15 and returns promptly.
 *   The stub keeps no state of its own: everything belongs to the record's library.
 *
 * What it does (Go's _rt0_amd64_lib, with a failure recorded instead of ending the host):
 *   1. stack = record->prepare(record, argc, argv, envp)  (0: the entry already ran, stop),
 *   2. err = record->create(stack, record->thread_main, record)  (pthread or raw creator),
 *   3. record->finish(record, err) records a failure (message on fd 2); return to the loader.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml; the
 * record's field offsets (RT0_RECORD_*) come from build.rs, checked in src/library/record.rs.
 */
#include "rt0_abi.h"

	.text
	.globl	RT0_SYM_lib_entry
	.hidden	RT0_SYM_lib_entry
	.type	RT0_SYM_lib_entry, @function
	.p2align 4
RT0_SYM_lib_entry:
	.cfi_startproc
	push	%rbp				/* frame chain for debuggers and unwinders */
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx				/* rbx holds the record across calls: callee-saved */
	sub	$8, %rsp			/* keep rsp 16-aligned for the calls below */
	mov	RT0_C_ARG5, %rbx		/* the library's entry record */
#ifdef RT0_INIT_argv
	push	RT0_INIT_envp			/* the loader's argc, argv, envp move one argument */
	push	RT0_INIT_argv			/* slot up, through the stack, so the moves are right */
	push	RT0_INIT_argc			/* whatever registers the description names */
	pop	RT0_C_ARG1			/* prepare's argc */
	pop	RT0_C_ARG2			/* prepare's argv */
	pop	RT0_C_ARG3			/* prepare's envp */
#else
	xor	RT0_C_ARG1_32, RT0_C_ARG1_32	/* the loader passes nothing: argc 0 ... */
	xor	RT0_C_ARG2_32, RT0_C_ARG2_32	/* ... argv NULL (rt0 recovers them) ... */
	xor	RT0_C_ARG3_32, RT0_C_ARG3_32	/* ... envp NULL */
#endif
	mov	%rbx, RT0_C_ARG0		/* prepare's record */
	call	*RT0_RECORD_prepare(%rbx)	/* rax = stack size, 0 = nothing to do */
	test	%rax, %rax
	jz	1f
	mov	%rax, RT0_C_ARG0		/* create's stack size */
	mov	RT0_RECORD_thread_main(%rbx), RT0_C_ARG1	/* its start routine */
	mov	%rbx, RT0_C_ARG2		/* its argument: the record */
	call	*RT0_RECORD_create(%rbx)	/* eax = 0, or an encoded failure */
	jmp	2f
1:	xor	%eax, %eax			/* already started: no failure */
2:	mov	RT0_C_RET_32, RT0_C_ARG1_32	/* finish's code */
	mov	%rbx, RT0_C_ARG0		/* finish's record */
	call	*RT0_RECORD_finish(%rbx)
	add	$8, %rsp
	pop	%rbx
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	RT0_SYM_lib_entry, . - RT0_SYM_lib_entry

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
