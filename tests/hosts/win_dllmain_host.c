/* Loads win_dllmain_caller.dll (whose DllMain calls the demo's export under the loader lock),
 * reports what that call got, then calls the export from main, where it must wait and succeed. */
#include <windows.h>
#include <stdio.h>

int main(void) {
  HMODULE h = LoadLibraryW(L"win_dllmain_caller.dll");
  if (!h) { printf("loadlibrary_error=%lu\n", GetLastError()); return 2; }
  int (*result)(void) = (void *)GetProcAddress(h, "caller_result");
  long long (*elapsed)(void) = (void *)GetProcAddress(h, "caller_elapsed_ms");
  const char *(*message)(void) = (void *)GetProcAddress(h, "caller_message");
  printf("dllmain_ready=%d\ndllmain_ms=%lld\ndllmain_error=%s\n", result(), elapsed(), message());
  HMODULE demo = GetModuleHandleW(L"rt0_demo.dll");
  int (*ready)(void) = (void *)GetProcAddress(demo, "rt0_demo_ready");
  printf("main_ready=%d\n", ready());
  return 0;
}
