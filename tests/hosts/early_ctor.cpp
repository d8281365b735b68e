// A C++ host whose global constructor calls a library export. Linked statically, the program's
// own constructors run before the library's initializer (it is later in the link), so the export
// is called before rt0's entry ran; linked as a shared library, the library's initializer runs
// first. rt0 must give the same defined result both ways.
#include <cstdio>

extern "C" int ex_add(int x);
extern "C" int ex_init_state(void);

struct CallsExportEarly {
    int state_before;
    int result;
    CallsExportEarly() : state_before(ex_init_state()), result(ex_add(2)) {}
};

static CallsExportEarly early;

int main() {
    std::printf("ctor_state_before=%d\n", early.state_before);
    std::printf("ctor_result=%d\n", early.result);
    std::printf("main_result=%d\n", ex_add(3));
    return 0;
}
