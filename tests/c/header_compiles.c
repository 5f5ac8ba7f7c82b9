/* Compiled (not run) as C99, C11 and C++11 with every warning an error:
 * the generated header must be clean in all three. */
#include "ivrconf.h"

int header_compiles_dummy(void);
int header_compiles_dummy(void) {
    ivrconf_result r = IVRCONF_OK;
    return (int)r + IVRCONF_VERSION_MAJOR * 0;
}
