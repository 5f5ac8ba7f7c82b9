/* The IVRCONF_VERSION_* macros of the header agree with the library. */
#include <stdio.h>
#include <string.h>
#include "ivrconf.h"

int main(void) {
    char expect[32];
    uint32_t number = ((uint32_t)IVRCONF_VERSION_MAJOR << 16) |
                      ((uint32_t)IVRCONF_VERSION_MINOR << 8) |
                      (uint32_t)IVRCONF_VERSION_PATCH;
    snprintf(expect, sizeof expect, "%d.%d.%d", IVRCONF_VERSION_MAJOR,
             IVRCONF_VERSION_MINOR, IVRCONF_VERSION_PATCH);
    if (ivrconf_version_number() != number) {
        fprintf(stderr, "version number %u != macros %u\n", ivrconf_version_number(), number);
        return 1;
    }
    if (strcmp(ivrconf_version(), expect) != 0) {
        fprintf(stderr, "version text %s != macros %s\n", ivrconf_version(), expect);
        return 1;
    }
    if (strcmp(ivrconf_result_str(IVRCONF_ERR_UNKNOWN_CALL), "IVRCONF_ERR_UNKNOWN_CALL") != 0 ||
        strcmp(ivrconf_result_str(4242), "IVRCONF_ERR_UNKNOWN") != 0) {
        fprintf(stderr, "ivrconf_result_str names are wrong\n");
        return 1;
    }
    if (strcmp(ivrconf_last_error(), "") != 0) {
        fprintf(stderr, "last error should start empty\n");
        return 1;
    }
    printf("version %s ok\n", ivrconf_version());
    return 0;
}
