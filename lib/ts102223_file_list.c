/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The File List of a REFRESH (ETSI TS 102 223 §8.18): the number of files,
 * then each file's full path from the MF, back to back.  A path is 3F00,
 * then the FIDs of the DFs on the way (7FFF for the current NAA's ADF),
 * then the EF's own: nothing marks where one path ends, the next 3F00 does.
 */
#include <string.h>

#include "simota/cat.h"

#define FID_MF_HI 0x3F
#define FID_MF_LO 0x00

static bool is_mf(const uint8_t *fid)
{
	return fid[0] == FID_MF_HI && fid[1] == FID_MF_LO;
}

/* §8.18: 3F00 first and nowhere else, whole FIDs, at least 4 bytes. */
static bool path_ok(const uint8_t *path, size_t len)
{
	if (len < 4 || len > SIMOTA_CAT_PATH_MAX || len % 2 || !is_mf(path))
		return false;
	for (size_t i = 2; i < len; i += 2)
		if (is_mf(path + i))
			return false;
	return true;
}

void simota_cat_file_list_init(struct simota_cat_bytes *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->present = true;
	fl->len = 1;
}

/* TS 102 223 §8.18 */
simota_err simota_cat_file_list_next(const struct simota_cat_bytes *fl, size_t *pos, const uint8_t **path,
				     size_t *len)
{
	size_t at = *pos ? *pos : 1, end;

	if (!fl->present || fl->len < 1 || at > fl->len)
		return SIMOTA_ERR_BAD_VALUE;
	if (at == fl->len)
		return SIMOTA_ERR_MISSING_VALUE;
	if (fl->len - at < 4 || !is_mf(fl->data + at))
		return SIMOTA_ERR_BAD_VALUE;
	for (end = at + 2; end + 1 < fl->len && !is_mf(fl->data + end); end += 2)
		;
	if (end + 1 == fl->len)        /* an odd byte left over */
		return SIMOTA_ERR_BAD_VALUE;
	if (!path_ok(fl->data + at, end - at))
		return SIMOTA_ERR_BAD_VALUE;
	*path = fl->data + at;
	*len = end - at;
	*pos = end;
	return SIMOTA_OK;
}

/* TS 102 223 §8.18: the count says how many paths follow. */
simota_err simota_cat_file_list_check(const struct simota_cat_bytes *fl, unsigned *n_files)
{
	size_t pos = 0, len;
	const uint8_t *path;
	unsigned n = 0;
	simota_err err;

	while ((err = simota_cat_file_list_next(fl, &pos, &path, &len)) == SIMOTA_OK)
		n++;
	if (err != SIMOTA_ERR_MISSING_VALUE)
		return err;
	if (n != fl->data[0])
		return SIMOTA_ERR_BAD_VALUE;
	if (n_files)
		*n_files = n;
	return SIMOTA_OK;
}

bool simota_cat_file_list_has(const struct simota_cat_bytes *fl, const uint8_t *path, size_t len)
{
	size_t pos = 0, n;
	const uint8_t *p;

	while (simota_cat_file_list_next(fl, &pos, &p, &n) == SIMOTA_OK)
		if (n == len && memcmp(p, path, len) == 0)
			return true;
	return false;
}

/* TS 102 223 §8.18 */
simota_err simota_cat_file_list_add(struct simota_cat_bytes *fl, const uint8_t *path, size_t len, size_t max)
{
	unsigned n;
	simota_err err = simota_cat_file_list_check(fl, &n);

	if (err)
		return err;
	if (!path_ok(path, len))
		return SIMOTA_ERR_BAD_VALUE;
	if (simota_cat_file_list_has(fl, path, len))
		return SIMOTA_OK;
	if (max > SIMOTA_CAT_BYTES_MAX)
		max = SIMOTA_CAT_BYTES_MAX;
	if ((size_t)fl->len + len > max)
		return SIMOTA_ERR_NO_SPACE;
	memcpy(fl->data + fl->len, path, len);
	fl->len = (uint8_t)(fl->len + len);
	fl->data[0] = (uint8_t)(n + 1);
	return SIMOTA_OK;
}
