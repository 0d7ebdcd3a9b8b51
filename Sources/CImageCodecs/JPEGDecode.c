#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;
    char *message;
} lines_jpeg_error;

static void lines_jpeg_error_exit(j_common_ptr cinfo) {
    lines_jpeg_error *err = (lines_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Warnings are ignored as Pillow ignores them, except running out of data: Pillow reports a
// truncated file there, while jpeg_mem_src would silently pad the image with grey.
static void lines_jpeg_emit_message(j_common_ptr cinfo, int level) {
    lines_jpeg_error *err = (lines_jpeg_error *)cinfo->err;
    if (level < 0 && err->pub.msg_code == JWRN_JPEG_EOF) {
        err->truncated = 1;
        (*cinfo->err->format_message)(cinfo, err->message);
        longjmp(err->jump, 1);
    }
}

static void lines_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

int lines_jpeg_decode(const unsigned char *data, size_t size, long max_pixels, lines_decoded_image *out) {
    struct jpeg_decompress_struct cinfo;
    lines_jpeg_error err;
    memset(out, 0, sizeof(*out));
    out->png_color_type = -1;
    out->bit_depth = 8;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = lines_jpeg_error_exit;
    err.pub.emit_message = lines_jpeg_emit_message;
    err.pub.output_message = lines_jpeg_output_message;
    err.truncated = 0;
    err.message = out->message;

    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(out->pixels);
        out->pixels = NULL;
        return err.truncated ? LINES_DECODE_TRUNCATED : LINES_DECODE_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;

    if ((double)cinfo.image_width * (double)cinfo.image_height > (double)max_pixels) {
        out->width = (int)cinfo.image_width;
        out->height = (int)cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return LINES_DECODE_TOO_LARGE;
    }
    // Every block of the full-resolution component codes its DC coefficient with a Huffman code
    // of at least one bit, so a Huffman-coded image needs at least blocks / 8 bytes. A file
    // shorter than that cannot hold the image it declares: decoding it would fill hundreds of
    // megabytes with grey from a few hundred bytes. Refused as truncated before allocating.
    if (!cinfo.arith_code) {
        double blocks = (double)((cinfo.image_width + 7) / 8) * (double)((cinfo.image_height + 7) / 8);
        if ((double)size * 8.0 < blocks) {
            snprintf(out->message, sizeof(out->message),
                     "%ux%u pixels need at least %.0f bytes of coded data; the file has %zu",
                     cinfo.image_width, cinfo.image_height, blocks / 8.0, size);
            out->width = (int)cinfo.image_width;
            out->height = (int)cinfo.image_height;
            jpeg_destroy_decompress(&cinfo);
            return LINES_DECODE_TRUNCATED;
        }
    }
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    out->pixels = malloc(stride * cinfo.output_height);
    if (!out->pixels) {
        jpeg_destroy_decompress(&cinfo);
        return LINES_DECODE_NO_MEMORY;
    }
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->channels = cinfo.output_components;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out->pixels + stride * cinfo.output_scanline;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
    }
    // Like Pillow, the image is complete once every scanline is read; what follows (EOI,
    // trailing bytes) is not needed, so jpeg_finish_decompress is not called.
    jpeg_destroy_decompress(&cinfo);
    return LINES_DECODE_OK;
}

void lines_decoded_free(lines_decoded_image *image) {
    if (image) {
        free(image->pixels);
        image->pixels = NULL;
    }
}
