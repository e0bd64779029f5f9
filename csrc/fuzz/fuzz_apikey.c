/* libFuzzer target: the API key parser on arbitrary bytes, then a JWT
 * signed with whatever it accepted. */
#include "ngo.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngo_apikey k;
    char token[NGO_JWT_MAX];
    char *key = malloc(size ? size : 1);
    int rc;

    if (!key)
        return 0;
    if (size)
        memcpy(key, data, size); /* exact-size copy: ASan catches overreads */
    rc = ngo_apikey_parse(key, size, &k);
    if (rc == 0) {
        assert(size >= NGO_KEY_MIN_LEN);
        assert(k.secret == key + size - NGO_UUID_LEN);
        assert(k.service_id == k.secret - 1 - NGO_UUID_LEN);
        assert(k.name == key);
        assert(k.name_len == 0 || k.name_len == size - NGO_KEY_MIN_LEN - 1);
        assert(ngo_is_uuid(k.service_id) && ngo_is_uuid(k.secret));
        assert(ngo_jwt_sign(k.service_id, k.secret, NGO_UUID_LEN, 1700000000, token,
                            sizeof(token)) > 0);
    } else {
        assert(rc == NGO_EKEY_TOO_SHORT || rc == NGO_EKEY_SEPARATOR || rc == NGO_EKEY_SERVICE_ID ||
               rc == NGO_EKEY_SECRET);
        assert(k.secret == NULL && k.service_id == NULL);
        assert(ngo_strerror(rc)[0]);
    }
    free(key);
    return 0;
}
