/*
 * rt0 library entry stub: riscv64 Linux (ELF, glibc).
 *
 * Contract (the caller's side):
 *   The loader calls each library's initializer (a record rt0::lib_entry! places in
 *   .init_array) on the loading thread; glibc passes (argc, argv, envp) (elf/dl-init.c
 *   call_init). The initializer forwards its five argument registers untouched and adds its
 *   library's entry record:
 *       void RT0_SYM_lib_entry(i0, i1, i2, i3, i4, const struct entry_record *record)
 *   so argc, argv, envp are in RT0_INIT_argc, RT0_INIT_argv, RT0_INIT_envp (a0, a1, a2) where
 *   the description names them, and the record is in RT0_C_ARG5 (a5). sp % 16 == 0 (psABI),
 *   return address in ra. The stub keeps s0-s11 and sp, never touches tp or gp (the psABI's
 *   fixed registers), keeps no state of its own, and returns promptly. t0 is a scratch
 *   register of our own choosing: no description names it.
 *
 * What it does (Go's _rt0_arm64_lib / _rt0_amd64_lib shape, with a failure recorded instead of
 * ending the host):
 *   1. stack = record->prepare(record, argc, argv, envp)  (0: the entry already ran, stop),
 *   2. err = record->create(stack, record->thread_main, record)  (pthread or raw creator),
 *   3. record->finish(record, err) records a failure (message on fd 2); return to the loader.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml; the
 * record's field offsets (RT0_RECORD_*) come from build.rs, checked in src/library/record.rs.
 * The stub names no symbol at all (every call goes through a pointer loaded from the record),
 * so it links into PIEs and shared objects with no relocation and needs no PLT entry bound.
 * err is a u32: the psABI passes and returns it sign-extended to 64 bits, so `mv` keeps it.
 */
#include "rt0_abi.h"

	.text
	.globl	RT0_SYM_lib_entry
	.hidden	RT0_SYM_lib_entry
	.type	RT0_SYM_lib_entry, @function
	.p2align 2
RT0_SYM_lib_entry:
	.cfi_startproc
	addi	sp, sp, -32			/* our frame: ra, s0, s1 (+ pad); sp stays 16-aligned */
	.cfi_def_cfa_offset 32
	sd	ra, 24(sp)			/* psABI frame record: return address at fp - 8 ... */
	sd	s0, 16(sp)			/* ... and the caller's frame pointer at fp - 16 */
	sd	s1, 8(sp)			/* s1 holds the record across calls: callee-saved */
	.cfi_offset ra, -8
	.cfi_offset s0, -16
	.cfi_offset s1, -24
	addi	s0, sp, 32			/* fp = the CFA: frame chain for debuggers and unwinders */
	.cfi_def_cfa s0, 0
	mv	s1, RT0_C_ARG5			/* the library's entry record */
#ifdef RT0_INIT_argv
	addi	sp, sp, -32			/* the loader's argc, argv, envp move one argument */
	sd	RT0_INIT_argc, 0(sp)		/* slot up, through the stack, so the moves are */
	sd	RT0_INIT_argv, 8(sp)		/* right whatever registers the description names */
	sd	RT0_INIT_envp, 16(sp)
	ld	RT0_C_ARG1, 0(sp)		/* prepare's argc */
	ld	RT0_C_ARG2, 8(sp)		/* prepare's argv */
	ld	RT0_C_ARG3, 16(sp)		/* prepare's envp */
	addi	sp, sp, 32			/* scratch slots gone; sp back to the frame */
#else
	li	RT0_C_ARG1, 0			/* the loader passes nothing: argc 0 ... */
	li	RT0_C_ARG2, 0			/* ... argv NULL (rt0 recovers them) ... */
	li	RT0_C_ARG3, 0			/* ... envp NULL */
#endif
	mv	RT0_C_ARG0, s1			/* prepare's record */
	ld	t0, RT0_RECORD_prepare(s1)	/* record->prepare */
	jalr	t0				/* result = stack size, 0 = nothing to do */
	beqz	RT0_C_RET, 1f			/* already started: create nothing */
	mv	RT0_C_ARG0, RT0_C_RET		/* create's stack size */
	ld	RT0_C_ARG1, RT0_RECORD_thread_main(s1)	/* its start routine */
	mv	RT0_C_ARG2, s1			/* its argument: the record */
	ld	t0, RT0_RECORD_create(s1)	/* record->create */
	jalr	t0				/* result = 0, or an encoded failure */
	j	2f				/* on to finish with that result */
1:	li	RT0_C_RET, 0			/* already started: no failure */
2:	mv	RT0_C_ARG1, RT0_C_RET		/* finish's code */
	mv	RT0_C_ARG0, s1			/* finish's record */
	ld	t0, RT0_RECORD_finish(s1)	/* record->finish */
	jalr	t0
	ld	s1, 8(sp)			/* restore the caller's s1 ... */
	ld	s0, 16(sp)			/* ... its frame pointer ... */
	.cfi_def_cfa sp, 32
	ld	ra, 24(sp)			/* ... and the loader's return address */
	addi	sp, sp, 32			/* pop the frame */
	.cfi_def_cfa_offset 0
	ret					/* back to the initializer, then the loader */
	.cfi_endproc
	.size	RT0_SYM_lib_entry, . - RT0_SYM_lib_entry

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
