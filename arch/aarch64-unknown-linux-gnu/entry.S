/*
 * rt0 library entry stub: aarch64 Linux (ELF, glibc; shared with musl through arch/targets.toml).
 *
 * Contract (the loader's side):
 *   glibc calls every .init_array entry on the loading thread as
 *       void entry(int argc, char **argv, char **envp)
 *   (elf/dl-init.c call_init; csu/libc-start.c for static programs), so argc, argv, envp
 *   arrive in RT0_INIT_argc, RT0_INIT_argv, RT0_INIT_envp (x0, x1, x2), with sp % 16 == 0 and
 *   the return address in lr (AAPCS64). musl passes nothing: its description (abi-musl.toml)
 *   names no initializer registers, this stub saves nothing, and rt0 recovers the arguments
 *   itself (src/procself.rs). The stub must preserve x19-x28, fp, sp and return promptly.
 *   x9/x10 are scratch registers of our own choosing: no description names them.
 *
 * What it does (Go's _rt0_arm64_lib, with a failure recorded instead of ending the host):
 *   1. saves argc/argv/envp in rt0_entry_args (read by rt0's Rust code; layout in src/entry.rs),
 *   2. creator = rt0_thread_create_hook ? 1 (pthread) : 2 (raw), plus flag 4: this stub also
 *      registers the destructor rt0_entry_fini (.fini_array below),
 *   3. stack = rt0_entry_prepare(creator)   (marks init running; 0 = already ran, stop),
 *   4. err = hook(stack, rt0_init_thread_main, 0)            when the libc hook is linked,
 *      err = rt0_entry_create_raw(stack, rt0_init_thread_main, 0)   otherwise,
 *   5. rt0_entry_finish(err) records a failure (message on fd 2), and we return to the loader.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml. Addresses
 * are formed PC-relative (adrp + :lo12:), so the stub links into PIEs and shared objects with
 * no text relocation; the Rust symbols it names are made hidden here for the same reason.
 */
#include "rt0_abi.h"

	.text
	.globl	rt0_lib_entry
	.hidden	rt0_lib_entry
	.hidden	rt0_thread_create_hook
	.hidden	rt0_entry_prepare
	.hidden	rt0_entry_create_raw
	.hidden	rt0_entry_finish
	.hidden	rt0_init_thread_main
	.hidden	rt0_entry_fini
	.type	rt0_lib_entry, @function
	.p2align 2
rt0_lib_entry:
	.cfi_startproc
	stp	x29, x30, [sp, #-32]!		/* frame record (fp, lr); sp stays 16-aligned */
	.cfi_def_cfa_offset 32
	.cfi_offset x29, -32
	.cfi_offset x30, -24
	mov	x29, sp				/* frame chain for debuggers and unwinders */
	.cfi_def_cfa_register x29
	str	x19, [sp, #16]			/* x19 holds the hook across calls: callee-saved */
	.cfi_offset x19, -16
#ifdef RT0_INIT_argv
	adrp	x9, rt0_entry_args		/* x9 = &rt0_entry_args (page) ... */
	add	x9, x9, :lo12:rt0_entry_args	/* ... plus offset */
	str	RT0_INIT_argc, [x9, #0]		/* argc (rt0 reads the low 32 bits) */
	str	RT0_INIT_argv, [x9, #8]		/* argv */
	str	RT0_INIT_envp, [x9, #16]	/* envp */
	mov	x10, #1				/* saved = 1 ... */
	str	x10, [x9, #24]			/* ... stored last */
#endif
	adrp	x19, rt0_thread_create_hook	/* the hook's address (page) ... */
	ldr	x19, [x19, :lo12:rt0_thread_create_hook]	/* ... its value: libc hook, or 0 */
	mov	RT0_C_ARG0_32, #2		/* creator = raw ... */
	cbz	x19, 1f
	mov	RT0_C_ARG0_32, #1		/* ... or pthread when the hook exists */
1:	orr	RT0_C_ARG0_32, RT0_C_ARG0_32, #4	/* flag 4: this stub registers rt0_entry_fini below */
	bl	rt0_entry_prepare		/* result = stack size, 0 = nothing to do */
	cbz	RT0_C_RET, 3f
	mov	RT0_C_ARG0, RT0_C_RET		/* arg 0: stack size */
	adrp	RT0_C_ARG1, rt0_init_thread_main	/* arg 1: start routine (page) ... */
	add	RT0_C_ARG1, RT0_C_ARG1, :lo12:rt0_init_thread_main	/* ... plus offset */
	mov	RT0_C_ARG2, xzr			/* arg 2: its argument, unused */
	cbz	x19, 2f
	blr	x19				/* hook(stack, start, 0): pthread_create */
	b	4f
2:	bl	rt0_entry_create_raw		/* raw path: newosproc0, fallible */
	b	4f
3:	mov	RT0_C_RET_32, wzr		/* already initialized: no error */
4:	mov	RT0_C_ARG0_32, RT0_C_RET_32	/* encoded error, 0 = none */
	bl	rt0_entry_finish
	ldr	x19, [sp, #16]			/* restore the caller's x19 */
	ldp	x29, x30, [sp], #32		/* and its fp, lr; pop the frame */
	.cfi_def_cfa sp, 0
	ret
	.cfi_endproc
	.size	rt0_lib_entry, . - rt0_lib_entry

/* The entry's record in the initializer section: what makes the loader call it. */
	.section .init_array, "aw", @init_array
	.p2align 3
	.xword	rt0_lib_entry

/*
 * The destructor record: glibc calls .fini_array entries with no arguments at dlclose (before the
 * image is unmapped) and at exit. rt0_entry_fini (src/entry.rs) returns once init has finished
 * and the init thread is gone (pthread: joined; raw: the kernel cleared its exit word), so no
 * thread runs this image's code when it goes away (golang/go#11100).
 */
	.section .fini_array, "aw", @fini_array
	.p2align 3
	.xword	rt0_entry_fini

/*
 * State shared with src/entry.rs. Keeping it in this object is deliberate: every export reads
 * rt0_entry_state (wait_init_done), so linking any export from a static archive pulls this
 * object, and with it the .init_array record above: no --whole-archive needed.
 */
	.bss
	.globl	rt0_entry_args
	.hidden	rt0_entry_args
	.type	rt0_entry_args, @object
	.p2align 3
rt0_entry_args:
	.zero	32				/* argc, argv, envp, saved */
	.size	rt0_entry_args, 32

	.globl	rt0_entry_state
	.hidden	rt0_entry_state
	.type	rt0_entry_state, @object
	.p2align 2
rt0_entry_state:
	.zero	4				/* 0 pending, 1 running, 2 done, 3 failed */
	.size	rt0_entry_state, 4

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
