// Decoding entry points over libjpeg-turbo and libpng that never call exit() or print:
// library errors longjmp back to the call (setjmp cannot be used from Swift) and come out
// as a status code and a message.
#ifndef LINES_CIMAGECODECS_H
#define LINES_CIMAGECODECS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result status of a decode call.
typedef enum {
    LINES_DECODE_OK = 0,
    LINES_DECODE_CORRUPT = 1,     ///< the library rejected the data; `message` says why
    LINES_DECODE_TRUNCATED = 2,   ///< the data ended before the image was complete
    LINES_DECODE_TOO_LARGE = 3,   ///< width × height exceeds `max_pixels`; nothing was allocated
    LINES_DECODE_NO_MEMORY = 4,
} lines_decode_status;

/// Pixels as the library returns them, before any conversion to RGB.
typedef struct {
    unsigned char *pixels;  ///< malloc'd rows, tightly packed; free with lines_decoded_free
    int width;
    int height;
    /// Samples per pixel: JPEG 1 (gray), 3 (RGB) or 4 (CMYK as stored, i.e. Adobe-inverted);
    /// PNG 1 (gray or palette index), 2 (gray+alpha), 3 (RGB) or 4 (RGBA).
    int channels;
    /// PNG: 8 or 16 (16-bit samples are big-endian); below 8 the samples are unpacked to one
    /// byte each, unscaled (0 ..< 2^bit_depth). JPEG: 8.
    int bit_depth;
    int png_color_type;     ///< PNG colour type from IHDR (0, 2, 3, 4, 6); -1 for JPEG
    int palette_count;      ///< PNG PLTE entries (0 when absent)
    unsigned char palette[256 * 3];
    char message[200];      ///< the library's message when status is not OK
} lines_decoded_image;

/// Decodes a JPEG held in memory with libjpeg's defaults (JDCT_ISLOW, fancy upsampling):
/// YCbCr and RGB to RGB, grayscale to one channel, CMYK/YCCK to CMYK.
int lines_jpeg_decode(const unsigned char *data, size_t size, long max_pixels, lines_decoded_image *out);

/// Decodes a PNG held in memory (all colour types, bit depths and interlacing); no gamma,
/// alpha or palette transforms are applied.
int lines_png_decode(const unsigned char *data, size_t size, long max_pixels, lines_decoded_image *out);

/// Frees the pixels of a decoded image (safe on a zeroed or already freed struct).
void lines_decoded_free(lines_decoded_image *image);

#ifdef __cplusplus
}
#endif

#endif
