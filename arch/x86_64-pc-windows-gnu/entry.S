/*
 * rt0 library entry stub: x86_64 Windows (COFF/PE, the Microsoft x64 calling convention).
 *
 * Contract (the caller's side):
 *   The loader (ntdll) calls each library's TLS callback, which rt0::lib_entry! places in
 *   .CRT$XLB, as (module, reason, reserved) in rcx, rdx, r8, on the loading thread with the
 *   loader lock held, before DllMain (a DLL) or the program's entry (a static link). Only for
 *   reason DLL_PROCESS_ATTACH does the callback call this stub, with the five argument words
 *   (module, reason, reserved, 0, 0) and its library's entry record:
 *       void RT0_SYM_lib_entry(i0, i1, i2, i3, i4, const struct entry_record *record)
 *   Win64: i0..i3 in RT0_C_ARG0..3 (rcx, rdx, r8, r9), i4 and the record on the caller's
 *   stack above the return address and the 32-byte shadow space: the record is at
 *   RT0_C_ARG5_AT_ENTRY(%rsp) on entry. (rsp + 8) % 16 == 0 at entry. The stub keeps rbx, rbp,
 *   rdi, rsi, r12-r15 and xmm6-xmm15 (it writes only rbx, which it saves, and volatile
 *   registers), reserves the shadow space for every call it makes, and returns promptly.
 *   The stub keeps no state of its own: everything belongs to the record's library. i0..i4 are
 *   not used: the loader passes no argv, so prepare builds it from GetCommandLineW.
 *
 * What it does (as on every target; Go's _rt0_amd64_lib with a recorded failure):
 *   1. stack = record->prepare(record, 0, NULL, NULL)  (0: the entry already ran, stop),
 *   2. err = record->create(stack, record->thread_main, record)  (CreateThread),
 *   3. record->finish(record, err) records a failure (message on stderr); return to the loader.
 *
 * It carries SEH unwind data (.seh_*): on Windows x64 every non-leaf function needs it, or an
 * exception raised below it (in prepare, create or finish) could not unwind through this frame.
 * Registers and offsets come from OUT_DIR/rt0_abi.h (abi.toml, build.rs); the record's field
 * offsets (RT0_RECORD_*) are checked in src/library/record.rs.
 */
#include "rt0_abi.h"

#define FRAME (8 + RT0_C_SHADOW_SPACE)	/* the saved rbx, then the callees' shadow space */

	.text
	.globl	RT0_SYM_lib_entry
	.def	RT0_SYM_lib_entry; .scl 2; .type 32; .endef	/* an external function symbol */
	.p2align 4
RT0_SYM_lib_entry:
	.seh_proc RT0_SYM_lib_entry
	push	%rbx				/* rbx holds the record across calls: callee-saved */
	.seh_pushreg %rbx
	sub	$RT0_C_SHADOW_SPACE, %rsp	/* shadow space for our callees; rsp is 16-aligned now */
	.seh_stackalloc RT0_C_SHADOW_SPACE
	.seh_endprologue
	mov	RT0_C_ARG5_AT_ENTRY+FRAME(%rsp), %rbx	/* the library's entry record (6th argument) */
	mov	%rbx, RT0_C_ARG0		/* prepare's record */
	xor	RT0_C_ARG1_32, RT0_C_ARG1_32	/* argc 0: the loader passes no arguments ... */
	xor	RT0_C_ARG2_32, RT0_C_ARG2_32	/* ... argv NULL (prepare parses the command line) ... */
	xor	RT0_C_ARG3_32, RT0_C_ARG3_32	/* ... envp NULL (and reads the environment block) */
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
	add	$RT0_C_SHADOW_SPACE, %rsp	/* epilogue: the exact inverse of the prologue */
	pop	%rbx
	ret
	.seh_endproc
