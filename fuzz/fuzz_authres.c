/*
 * fuzz_authres - authres_parse() on one Authentication-Results value (the input,
 * NUL-terminated; an embedded NUL simply ends the value, as in a C string).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_cstr(data, size);
    if (!value)
        return 0;
    struct ar_field ar;
    if (authres_parse(value, &ar)) {
        if (ar.n > AR_MAX_RESULTS || !ar.authserv_id[0])
            abort();
        fuzz_check_str(ar.authserv_id, sizeof(ar.authserv_id));
        for (size_t i = 0; i < ar.n; i++) {
            fuzz_check_str(ar.res[i].method, sizeof(ar.res[i].method));
            fuzz_check_str(ar.res[i].result, sizeof(ar.res[i].result));
            fuzz_check_str(ar.res[i].header_d, sizeof(ar.res[i].header_d));
            fuzz_check_str(ar.res[i].header_i, sizeof(ar.res[i].header_i));
        }
    }
    free(value);
    return 0;
}
