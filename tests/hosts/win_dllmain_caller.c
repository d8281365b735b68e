/* A DLL whose DllMain calls an export of the demo (tests/windows_wine.rs): it imports
 * rt0_demo.dll, so the loader initializes the demo first (its TLS callback starts init), then
 * runs this DllMain with the loader lock held. Waiting there for init would deadlock (the init
 * thread cannot even start while the lock is held): rt0 must answer at once. */
#include <windows.h>
#include "rt0_demo.h"

static int result = -1;
static long long elapsed_ms = -1;
static char message[256];

__declspec(dllexport) int caller_result(void) { return result; }
__declspec(dllexport) long long caller_elapsed_ms(void) { return elapsed_ms; }
__declspec(dllexport) const char *caller_message(void) { return message; }

BOOL WINAPI DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved) {
  (void)dll; (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) {
    ULONGLONG t0 = GetTickCount64();
    result = rt0_demo_ready();
    const char *e = rt0_demo_error();
    elapsed_ms = (long long)(GetTickCount64() - t0);
    if (e) lstrcpynA(message, e, sizeof message);
  }
  return TRUE;
}
