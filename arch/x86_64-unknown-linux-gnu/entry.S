/*
 * rt0 library entry stub: x86_64 Linux (ELF, glibc; shared with musl through arch/targets.toml).
 *
 * Contract (the loader's side):
 *   glibc calls every .init_array entry on the loading thread as
 *       void entry(int argc, char **argv, char **envp)
 *   (elf/dl-init.c call_init; csu/libc-start.c for static programs), so argc, argv, envp
 *   arrive in RT0_INIT_argc, RT0_INIT_argv, RT0_INIT_envp (edi, rsi, rdx), with
 *   (rsp + 8) % 16 == 0. musl passes nothing: the description then names no initializer
 *   registers and this stub saves nothing (rt0 recovers the arguments itself).
 *   The stub must preserve rbx, rbp, r12-r15 and return promptly.
 *
 * What it does (Go's _rt0_amd64_lib, with a failure recorded instead of ending the host):
 *   1. saves argc/argv/envp in rt0_entry_args (read by rt0's Rust code; layout in src/entry.rs),
 *   2. creator = rt0_thread_create_hook ? 1 (pthread) : 2 (raw), plus flag 4: this stub also
 *      registers the destructor rt0_entry_fini (.fini_array below),
 *   3. stack = rt0_entry_prepare(creator)   (marks init running; 0 = already ran, stop),
 *   4. err = hook(stack, rt0_init_thread_main, 0)            when the libc hook is linked,
 *      err = rt0_entry_create_raw(stack, rt0_init_thread_main, 0)   otherwise,
 *   5. rt0_entry_finish(err) records a failure (message on fd 2), and we return to the loader.
 *
 * Every number and register comes from OUT_DIR/rt0_abi.h, generated from abi.toml.
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
	.p2align 4
rt0_lib_entry:
	.cfi_startproc
	push	%rbp				/* frame chain for debuggers and unwinders */
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx				/* rbx holds the hook across calls: callee-saved */
	sub	$8, %rsp			/* keep rsp 16-aligned for the calls below */
#ifdef RT0_INIT_argv
	mov	RT0_INIT_argc, rt0_entry_args+0(%rip)	/* argc (low 32 bits) */
	mov	RT0_INIT_argv, rt0_entry_args+8(%rip)	/* argv */
	mov	RT0_INIT_envp, rt0_entry_args+16(%rip)	/* envp */
	movq	$1, rt0_entry_args+24(%rip)		/* saved = 1 */
#endif
	mov	rt0_thread_create_hook(%rip), %rbx	/* libc hook, or 0 */
	mov	$2, RT0_C_ARG0_32			/* creator = raw ... */
	test	%rbx, %rbx
	jz	1f
	mov	$1, RT0_C_ARG0_32			/* ... or pthread when the hook exists */
1:	or	$4, RT0_C_ARG0_32			/* flag 4: this stub registers rt0_entry_fini below */
	call	rt0_entry_prepare			/* rax = stack size, 0 = nothing to do */
	test	%rax, %rax
	jz	3f
	mov	%rax, RT0_C_ARG0			/* arg 0: stack size */
	lea	rt0_init_thread_main(%rip), RT0_C_ARG1	/* arg 1: start routine */
	xor	RT0_C_ARG2_32, RT0_C_ARG2_32		/* arg 2: its argument, unused */
	test	%rbx, %rbx
	jz	2f
	call	*%rbx				/* hook(stack, start, 0): pthread_create */
	jmp	4f
2:	call	rt0_entry_create_raw		/* raw path: newosproc0, fallible */
	jmp	4f
3:	xor	%eax, %eax			/* already initialized: no error */
4:	mov	%eax, RT0_C_ARG0_32			/* encoded error, 0 = none */
	call	rt0_entry_finish
	add	$8, %rsp
	pop	%rbx
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	rt0_lib_entry, . - rt0_lib_entry

/* The entry's record in the initializer section: what makes the loader call it. */
	.section .init_array, "aw", @init_array
	.p2align 3
	.quad	rt0_lib_entry

/*
 * The destructor record: glibc calls .fini_array entries with no arguments at dlclose (before the
 * image is unmapped) and at exit. rt0_entry_fini (src/entry.rs) returns once init has finished
 * and the init thread is gone (pthread: joined; raw: the kernel cleared its exit word), so no
 * thread runs this image's code when it goes away (golang/go#11100).
 */
	.section .fini_array, "aw", @fini_array
	.p2align 3
	.quad	rt0_entry_fini

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
