/*
 * rt0 library entry stub: x86_64 macOS (Mach-O). The seed is Go's _rt0_amd64_darwin_lib.
 *
 * Contract (the loader's side):
 *   dyld calls every __mod_init_func (or __init_offsets) entry on the loading thread as
 *       void entry(int argc, char **argv, char **envp, char **apple, struct ProgramVars *vars)
 *   (dyld/Loader.cpp, DyldProcessConfig.h), so argc, argv, envp arrive in RT0_INIT_argc,
 *   RT0_INIT_argv, RT0_INIT_envp (edi, rsi, rdx), with (rsp + 8) % 16 == 0. apple and vars are
 *   not needed. The stub must preserve rbx, rbp, r12-r15 and return promptly.
 *
 * What it does (the seed's steps, with a failure recorded instead of ending the host):
 *   1. saves argc/argv/envp in _rt0_entry_args (layout in src/entry.rs),
 *   2. creator = _rt0_thread_create_hook ? 1 (pthread: libSystem) : 2 (raw),
 *   3. stack = _rt0_entry_prepare(creator)   (marks init running; 0 = already ran, stop),
 *   4. err = hook(stack, _rt0_init_thread_main, 0)    (the seed's _cgo_sys_thread_create branch)
 *      err = _rt0_entry_create_raw(stack, _rt0_init_thread_main, 0)  (newosproc0, fallible),
 *   5. _rt0_entry_finish(err) records a failure (message on fd 2); return to dyld.
 *   On a real macOS the raw path is refused (libpthread registered its thread start first);
 *   it is exercised under rt0-port's emulated XNU.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml.
 */
#include "rt0_abi.h"

	.text
	.globl	_rt0_lib_entry
	.private_extern _rt0_lib_entry
	.p2align 4
_rt0_lib_entry:
	push	%rbp				/* frame chain for debuggers and unwinders */
	mov	%rsp, %rbp
	push	%rbx				/* rbx holds the hook across calls: callee-saved */
	sub	$8, %rsp			/* keep rsp 16-aligned for the calls below */
	mov	RT0_INIT_argc, _rt0_entry_args+0(%rip)	/* argc (low 32 bits) */
	mov	RT0_INIT_argv, _rt0_entry_args+8(%rip)	/* argv */
	mov	RT0_INIT_envp, _rt0_entry_args+16(%rip)	/* envp */
	movq	$1, _rt0_entry_args+24(%rip)		/* saved = 1 */
	mov	_rt0_thread_create_hook(%rip), %rbx	/* libSystem hook, or 0 */
	mov	$2, RT0_C_ARG0_32			/* creator = raw ... */
	test	%rbx, %rbx
	jz	1f
	mov	$1, RT0_C_ARG0_32			/* ... or pthread when the hook exists */
1:	call	_rt0_entry_prepare			/* rax = stack size, 0 = nothing to do */
	test	%rax, %rax
	jz	3f
	mov	%rax, RT0_C_ARG0			/* arg 0: stack size */
	lea	_rt0_init_thread_main(%rip), RT0_C_ARG1	/* arg 1: start routine */
	xor	RT0_C_ARG2_32, RT0_C_ARG2_32		/* arg 2: its argument, unused */
	test	%rbx, %rbx
	jz	2f
	call	*%rbx				/* hook(stack, start, 0): pthread_create */
	jmp	4f
2:	call	_rt0_entry_create_raw		/* raw path: newosproc0, fallible */
	jmp	4f
3:	xor	%eax, %eax			/* already initialized: no error */
4:	mov	%eax, RT0_C_ARG0_32			/* encoded error, 0 = none */
	call	_rt0_entry_finish
	add	$8, %rsp
	pop	%rbx
	pop	%rbp
	ret

/* The entry's record in the initializer section: what makes dyld call it. */
	.section __DATA,__mod_init_func,mod_init_funcs
	.p2align 3
	.quad	_rt0_lib_entry

/*
 * State shared with src/entry.rs. Every export reads _rt0_entry_state (wait_init_done), so
 * linking any export from a static archive pulls this object and its initializer record:
 * no -force_load needed.
 */
	.globl	_rt0_entry_args
	.private_extern _rt0_entry_args
	.zerofill __DATA,__bss,_rt0_entry_args,32,3	/* argc, argv, envp, saved */
	.globl	_rt0_entry_state
	.private_extern _rt0_entry_state
	.zerofill __DATA,__bss,_rt0_entry_state,4,2	/* 0 pending, 1 running, 2 done, 3 failed */

	.subsections_via_symbols
