/*
 * rt0 library entry stub: aarch64 Linux (ELF, glibc; shared with musl through arch/targets.toml).
 *
 * Contract (the caller's side):
 *   The loader calls each library's initializer (a record rt0::lib_entry! places in
 *   .init_array) on the loading thread; glibc passes (argc, argv, envp) (elf/dl-init.c
 *   call_init), musl passes nothing. The initializer forwards its five argument registers
 *   untouched and adds its library's entry record:
 *       void RT0_SYM_lib_entry(i0, i1, i2, i3, i4, const struct entry_record *record)
 *   so argc, argv, envp are in RT0_INIT_argc, RT0_INIT_argv, RT0_INIT_envp (x0, x1, x2) where
 *   the description names them, and the record is in RT0_C_ARG5 (x5). sp % 16 == 0, return
 *   address in lr. The stub keeps x19-x28, fp and sp, keeps no state of its own, and returns
 *   promptly. x9 is a scratch register of our own choosing: no description names it.
 *
 * What it does (Go's _rt0_arm64_lib, with a failure recorded instead of ending the host):
 *   1. stack = record->prepare(record, argc, argv, envp)  (0: the entry already ran, stop),
 *   2. err = record->create(stack, record->thread_main, record)  (pthread or raw creator),
 *   3. record->finish(record, err) records a failure (message on fd 2); return to the loader.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml; the
 * record's field offsets (RT0_RECORD_*) come from build.rs, checked in src/library/record.rs.
 * The stub names no symbol at all, so it links into PIEs and shared objects with no relocation.
 */
#include "rt0_abi.h"

	.text
	.globl	RT0_SYM_lib_entry
	.hidden	RT0_SYM_lib_entry
	.type	RT0_SYM_lib_entry, @function
	.p2align 2
RT0_SYM_lib_entry:
	.cfi_startproc
	stp	x29, x30, [sp, #-32]!		/* frame record (fp, lr); sp stays 16-aligned */
	.cfi_def_cfa_offset 32
	.cfi_offset x29, -32
	.cfi_offset x30, -24
	mov	x29, sp				/* frame chain for debuggers and unwinders */
	.cfi_def_cfa_register x29
	str	x19, [sp, #16]			/* x19 holds the record across calls: callee-saved */
	.cfi_offset x19, -16
	mov	x19, RT0_C_ARG5			/* the library's entry record */
#ifdef RT0_INIT_argv
	stp	RT0_INIT_argc, RT0_INIT_argv, [sp, #-32]!	/* the loader's argc, argv, envp move */
	str	RT0_INIT_envp, [sp, #16]	/* one argument slot up, through the stack, so the */
	ldp	RT0_C_ARG1, RT0_C_ARG2, [sp, #0]	/* moves are right whatever registers the */
	ldr	RT0_C_ARG3, [sp, #16]		/* description names: prepare's argc, argv, envp */
	add	sp, sp, #32
#else
	mov	RT0_C_ARG1, xzr			/* the loader passes nothing: argc 0 ... */
	mov	RT0_C_ARG2, xzr			/* ... argv NULL (rt0 recovers them) ... */
	mov	RT0_C_ARG3, xzr			/* ... envp NULL */
#endif
	mov	RT0_C_ARG0, x19			/* prepare's record */
	ldr	x9, [x19, #RT0_RECORD_prepare]
	blr	x9				/* result = stack size, 0 = nothing to do */
	cbz	RT0_C_RET, 1f
	mov	RT0_C_ARG0, RT0_C_RET		/* create's stack size */
	ldr	RT0_C_ARG1, [x19, #RT0_RECORD_thread_main]	/* its start routine */
	mov	RT0_C_ARG2, x19			/* its argument: the record */
	ldr	x9, [x19, #RT0_RECORD_create]
	blr	x9				/* result = 0, or an encoded failure */
	b	2f
1:	mov	RT0_C_RET_32, wzr		/* already started: no failure */
2:	mov	RT0_C_ARG1_32, RT0_C_RET_32	/* finish's code */
	mov	RT0_C_ARG0, x19			/* finish's record */
	ldr	x9, [x19, #RT0_RECORD_finish]
	blr	x9
	ldr	x19, [sp, #16]			/* restore the caller's x19 */
	ldp	x29, x30, [sp], #32		/* and its fp, lr; pop the frame */
	.cfi_def_cfa sp, 0
	ret
	.cfi_endproc
	.size	RT0_SYM_lib_entry, . - RT0_SYM_lib_entry

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
