/*
 * throwing_api.cpp -- compiles with exceptions and must NOT compile with
 * -fno-exceptions (`make cpp-tests` checks both): the constructors that
 * throw and the throwing overloads are compiled out there, so a driver
 * built without exceptions cannot call them by mistake.
 */
#include "ivrconf.hpp"

int main() {
    ivrconf::Config cfg;          // throws on failure: exceptions only
    cfg.set("client_name", "IVR"); // the throwing overload
    return 0;
}
