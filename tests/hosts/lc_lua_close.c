/* Embeds Lua 5.4 (liblua5.4): runs `package.loadlib(argv[1], "luaopen_std_init")()`, then
 * lua_close, which dlcloses every C library the state loaded, while std-init's init still runs
 * (tests/lifecycle_unload.rs). Then sleeps argv[2] ms, past init's end, prints `lua host done`
 * and exits 0. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_pushstring(L, argv[1]);
    lua_setglobal(L, "so");
    if (luaL_dostring(L, "assert(package.loadlib(so, 'luaopen_std_init'))()") != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 3;
    }
    lua_close(L);
    long ms = atol(argv[2]);
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
    printf("lua host done\n");
    return 0;
}
