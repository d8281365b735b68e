/* A Node.js addon (N-API) linked against the demo library (DT_NEEDED), so that Node's
 * process.dlopen of this addon loads the demo and runs rt0's entry with Node's environment as
 * it is then (tests/hosts/node/env_around_load.js). Its functions ask the demo what init saw
 * and what rt0 keeps: initWatched(), initEnvCount(), env(name). */
#include <node_api.h>
#include <stddef.h>

const char *rt0_demo_init_watched(void);
int rt0_demo_init_env_count(void);
const char *rt0_demo_env(const char *name);

static napi_value string_or_null(napi_env env, const char *s) {
    napi_value v;
    if (s) napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
    else napi_get_null(env, &v);
    return v;
}

static napi_value init_watched(napi_env env, napi_callback_info info) {
    (void)info;
    return string_or_null(env, rt0_demo_init_watched());
}

static napi_value init_env_count(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value v;
    napi_create_int32(env, rt0_demo_init_env_count(), &v);
    return v;
}

static napi_value kept_env(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value arg;
    char name[256];
    size_t len = 0;
    napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
    if (argc < 1 || napi_get_value_string_utf8(env, arg, name, sizeof name, &len) != napi_ok)
        return string_or_null(env, NULL);
    return string_or_null(env, rt0_demo_env(name));
}

static napi_value init(napi_env env, napi_value exports) {
    napi_property_descriptor props[] = {
        {"initWatched", NULL, init_watched, NULL, NULL, NULL, napi_default, NULL},
        {"initEnvCount", NULL, init_env_count, NULL, NULL, NULL, napi_default, NULL},
        {"env", NULL, kept_env, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
