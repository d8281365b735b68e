/*
 * rt0 library entry stub: x86_64 macOS (Mach-O). After Go's _rt0_amd64_darwin_lib.
 *
 * Contract (the caller's side):
 *   dyld calls each library's initializer (a record rt0::lib_entry! places in
 *   __DATA,__mod_init_func) on the loading thread as
 *       void init(int argc, char **argv, char **envp, char **apple, struct ProgramVars *vars)
 *   (dyld/Loader.cpp, DyldProcessConfig.h). The initializer forwards those five registers
 *   untouched and adds its library's entry record:
 *       void RT0_SYM_lib_entry(argc, argv, envp, apple, vars, const struct entry_record *record)
 *   so argc, argv, envp are in RT0_INIT_argc, RT0_INIT_argv, RT0_INIT_envp (edi, rsi, rdx) and
 *   the record is in RT0_C_ARG5 (r9). (rsp + 8) % 16 == 0 at entry. The stub keeps rbx, rbp,
 *   r12-r15, keeps no state of its own, and returns promptly.
 *
 * What it does (Go's steps, with a failure recorded instead of ending the host):
 *   1. stack = record->prepare(record, argc, argv, envp)  (0: the entry already ran, stop),
 *   2. err = record->create(stack, record->thread_main, record)  (pthread_create by default;
 *      the raw creator is refused by a real macOS kernel and exercised under rt0-port's
 *      emulated XNU),
 *   3. record->finish(record, err) records a failure (message on fd 2); return to dyld.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml; the
 * record's field offsets (RT0_RECORD_*) come from build.rs, checked in src/library/record.rs.
 */
#include "rt0_abi.h"

	.text
	.globl	RT0_SYM_lib_entry
	.private_extern RT0_SYM_lib_entry
	.p2align 4
RT0_SYM_lib_entry:
	push	%rbp				/* frame chain for debuggers and unwinders */
	mov	%rsp, %rbp
	push	%rbx				/* rbx holds the record across calls: callee-saved */
	sub	$8, %rsp			/* keep rsp 16-aligned for the calls below */
	mov	RT0_C_ARG5, %rbx		/* the library's entry record */
	push	RT0_INIT_envp			/* dyld's argc, argv, envp move one argument slot */
	push	RT0_INIT_argv			/* up, through the stack, so the moves are right */
	push	RT0_INIT_argc			/* whatever registers the description names */
	pop	RT0_C_ARG1			/* prepare's argc */
	pop	RT0_C_ARG2			/* prepare's argv */
	pop	RT0_C_ARG3			/* prepare's envp */
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
	ret

	.subsections_via_symbols
