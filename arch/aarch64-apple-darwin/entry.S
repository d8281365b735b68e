/*
 * rt0 library entry stub: arm64 macOS (Mach-O). The seed is Go's _rt0_arm64_darwin_lib.
 *
 * Contract (the loader's side):
 *   dyld calls every __mod_init_func (or __init_offsets) entry on the loading thread as
 *       void entry(int argc, char **argv, char **envp, char **apple, struct ProgramVars *vars)
 *   (dyld/Loader.cpp, DyldProcessConfig.h), so argc, argv, envp arrive in RT0_INIT_argc,
 *   RT0_INIT_argv, RT0_INIT_envp (x0, x1, x2), with sp % 16 == 0 and the return address in lr.
 *   apple and vars are not needed. The stub must preserve x19-x28, fp, sp, and never touch
 *   x18 (reserved by the platform). x9/x10 are scratch registers of our own choosing: no
 *   description names them.
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
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml. Addresses
 * are formed PC-relative (adrp @PAGE + add/ldr @PAGEOFF): no text relocation in a dylib.
 */
#include "rt0_abi.h"

	.text
	.globl	_rt0_lib_entry
	.private_extern _rt0_lib_entry
	.p2align 2
_rt0_lib_entry:
	stp	x29, x30, [sp, #-32]!		/* frame record (fp, lr); sp stays 16-aligned */
	mov	x29, sp				/* frame chain for debuggers and unwinders */
	str	x19, [sp, #16]			/* x19 holds the hook across calls: callee-saved */
	adrp	x9, _rt0_entry_args@PAGE	/* x9 = &_rt0_entry_args (page) ... */
	add	x9, x9, _rt0_entry_args@PAGEOFF	/* ... plus offset */
	str	RT0_INIT_argc, [x9, #0]		/* argc (rt0 reads the low 32 bits) */
	str	RT0_INIT_argv, [x9, #8]		/* argv */
	str	RT0_INIT_envp, [x9, #16]	/* envp */
	mov	x10, #1				/* saved = 1 ... */
	str	x10, [x9, #24]			/* ... stored last */
	adrp	x19, _rt0_thread_create_hook@PAGE	/* the hook's address (page) ... */
	ldr	x19, [x19, _rt0_thread_create_hook@PAGEOFF]	/* ... its value: libSystem hook, or 0 */
	mov	RT0_C_ARG0_32, #2		/* creator = raw ... */
	cbz	x19, 1f
	mov	RT0_C_ARG0_32, #1		/* ... or pthread when the hook exists */
1:	bl	_rt0_entry_prepare		/* result = stack size, 0 = nothing to do */
	cbz	RT0_C_RET, 3f
	mov	RT0_C_ARG0, RT0_C_RET		/* arg 0: stack size */
	adrp	RT0_C_ARG1, _rt0_init_thread_main@PAGE	/* arg 1: start routine (page) ... */
	add	RT0_C_ARG1, RT0_C_ARG1, _rt0_init_thread_main@PAGEOFF	/* ... plus offset */
	mov	RT0_C_ARG2, xzr			/* arg 2: its argument, unused */
	cbz	x19, 2f
	blr	x19				/* hook(stack, start, 0): pthread_create */
	b	4f
2:	bl	_rt0_entry_create_raw		/* raw path: newosproc0, fallible */
	b	4f
3:	mov	RT0_C_RET_32, wzr		/* already initialized: no error */
4:	mov	RT0_C_ARG0_32, RT0_C_RET_32	/* encoded error, 0 = none */
	bl	_rt0_entry_finish
	ldr	x19, [sp, #16]			/* restore the caller's x19 */
	ldp	x29, x30, [sp], #32		/* and its fp, lr; pop the frame */
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
