/* Access to the demo's exports for test hosts: linked directly (static archive or shared
 * library), or, with -DRT0_DLOPEN, through dlopen of $RT0_DEMO_SO and dlsym. Call demo_load()
 * before the first export. */
#ifndef DEMO_API_H
#define DEMO_API_H
#include <stdio.h>
#include <stdlib.h>
#include "rt0_demo.h"

#ifdef RT0_DLOPEN
#include <dlfcn.h>
static int (*p_ready)(void);
static long long (*p_entry_tid)(void);
static long long (*p_init_tid)(void);
static int (*p_argc)(void);
static const char *(*p_argv)(int);
static const char *(*p_path)(void);
static unsigned long long (*p_init_sigmask)(void);
static int (*p_state)(void);
static const char *(*p_error)(void);
static long long (*p_thread_id)(void);
static int (*p_newosproc0)(unsigned long long);
static int (*p_try_newosproc0)(unsigned long long);
static void *demo_handle;

static void *demo_sym(const char *name) {
    void *p = dlsym(demo_handle, name);
    if (!p) { fprintf(stderr, "dlsym %s: %s\n", name, dlerror()); exit(2); }
    return p;
}

static void demo_load(void) {
    const char *so = getenv("RT0_DEMO_SO");
    if (!so) { fprintf(stderr, "RT0_DEMO_SO is not set\n"); exit(2); }
    demo_handle = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!demo_handle) { fprintf(stderr, "dlopen: %s\n", dlerror()); exit(2); }
    *(void **)&p_ready = demo_sym("rt0_demo_ready");
    *(void **)&p_entry_tid = demo_sym("rt0_demo_entry_tid");
    *(void **)&p_init_tid = demo_sym("rt0_demo_init_tid");
    *(void **)&p_argc = demo_sym("rt0_demo_argc");
    *(void **)&p_argv = demo_sym("rt0_demo_argv");
    *(void **)&p_path = demo_sym("rt0_demo_path");
    *(void **)&p_init_sigmask = demo_sym("rt0_demo_init_sigmask");
    *(void **)&p_state = demo_sym("rt0_demo_state");
    *(void **)&p_error = demo_sym("rt0_demo_error");
    *(void **)&p_thread_id = demo_sym("rt0_demo_thread_id");
    *(void **)&p_newosproc0 = demo_sym("rt0_demo_newosproc0");
    *(void **)&p_try_newosproc0 = demo_sym("rt0_demo_try_newosproc0");
}
#define rt0_demo_ready (*p_ready)
#define rt0_demo_entry_tid (*p_entry_tid)
#define rt0_demo_init_tid (*p_init_tid)
#define rt0_demo_argc (*p_argc)
#define rt0_demo_argv (*p_argv)
#define rt0_demo_path (*p_path)
#define rt0_demo_init_sigmask (*p_init_sigmask)
#define rt0_demo_state (*p_state)
#define rt0_demo_error (*p_error)
#define rt0_demo_thread_id (*p_thread_id)
#define rt0_demo_newosproc0 (*p_newosproc0)
#define rt0_demo_try_newosproc0 (*p_try_newosproc0)
#else
static void demo_load(void) {}
#endif

#endif
