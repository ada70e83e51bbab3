//! Uploaded photos: only JPEG, PNG and WebP are accepted; each is decoded within limits
//! (a huge declared size is refused before any memory is taken for it), cropped to a 3:4
//! portrait and re-encoded as a small JPEG, so that nothing of the uploaded file itself is
//! ever stored or served.

use std::io::Cursor;

use image::{ImageDecoder, ImageFormat, ImageReader, Limits};

/// Width and height of every stored photo.
pub const WIDTH: u32 = 360;
pub const HEIGHT: u32 = 480;
/// The largest image accepted, in pixels each way.
pub const MAX_SIDE: u32 = 8000;
/// The most pixels accepted (32 megapixels: a phone's full-size photo fits): what one decode
/// may take in memory is bounded by this, not by the sides alone.
pub const MAX_PIXELS: u64 = 32_000_000;
/// Photos decoded at once; others wait their turn.
const DECODES_AT_ONCE: usize = 1;

/// Why a photo was refused, in the words the form shows.
#[derive(Debug, PartialEq, Eq)]
pub enum PhotoError {
    Empty,
    NotAnImage,
    TooLarge,
    Damaged,
}

impl PhotoError {
    pub fn message(&self) -> String {
        match self {
            PhotoError::Empty => "请选择要上传的照片文件".into(),
            PhotoError::NotAnImage => "只能上传 JPEG、PNG 或 WebP 格式的照片".into(),
            PhotoError::TooLarge => format!(
                "照片尺寸过大：长和宽都不能超过 {MAX_SIDE} 像素，总像素不能超过 {} 万（如 6000×5000），请缩小后再上传",
                MAX_PIXELS / 10_000
            ),
            PhotoError::Damaged => "照片文件已损坏或无法识别，请换一张照片".into(),
        }
    }
}

/// [`process`] off the async threads, one photo at a time, so that several large uploads at
/// once queue instead of taking the server's memory together.
pub async fn process_in_turn(
    bytes: impl AsRef<[u8]> + Send + 'static,
) -> anyhow::Result<Result<Vec<u8>, PhotoError>> {
    in_turn(bytes, process).await
}

/// [`evidence`] off the async threads, in the same turn as portraits.
pub async fn evidence_in_turn(
    bytes: impl AsRef<[u8]> + Send + 'static,
) -> anyhow::Result<Result<Vec<u8>, PhotoError>> {
    in_turn(bytes, evidence).await
}

async fn in_turn(
    bytes: impl AsRef<[u8]> + Send + 'static,
    work: fn(&[u8]) -> Result<Vec<u8>, PhotoError>,
) -> anyhow::Result<Result<Vec<u8>, PhotoError>> {
    static GATE: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    let gate =
        GATE.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(DECODES_AT_ONCE)));
    // The turn goes with the decode itself: a client that hangs up does not free it while
    // its picture is still being decoded.
    let turn = gate.clone().acquire_owned().await?;
    Ok(tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work(bytes.as_ref())
    })
    .await?)
}

/// The stored form of an uploaded photo: a `WIDTH`×`HEIGHT` JPEG.
pub fn process(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let image = decode(bytes)?;
    let portrait = image
        .resize_to_fill(WIDTH, HEIGHT, image::imageops::FilterType::Triangle)
        .to_rgb8();
    encode(&portrait)
}

/// The longest side of a stored evidence photo.
pub const EVIDENCE_SIDE: u32 = 1600;

/// The stored form of a photo taken as evidence (of an assessment record): the whole
/// picture, turned upright, at most `EVIDENCE_SIDE` each way, re-encoded as JPEG.
pub fn evidence(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let image = decode(bytes)?;
    let image = if image.width() > EVIDENCE_SIDE || image.height() > EVIDENCE_SIDE {
        image.resize(
            EVIDENCE_SIDE,
            EVIDENCE_SIDE,
            image::imageops::FilterType::Triangle,
        )
    } else {
        image
    };
    encode(&image.to_rgb8())
}

fn encode(image: &image::RgbImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(image)
        .map_err(|_| PhotoError::Damaged)?;
    Ok(out)
}

/// The picture of an accepted file, within the limits above, turned upright.
fn decode(bytes: &[u8]) -> Result<image::DynamicImage, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PhotoError::NotAnImage);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Four bytes a pixel at most, and the decoder's own buffers besides.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 16 * 1024 * 1024);
    reader.limits(limits);
    let refused = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge,
        _ => PhotoError::Damaged,
    };
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PhotoError::TooLarge);
    }
    // A phone photo is often stored sideways with an EXIF tag saying how to turn it.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(refused)?;
    image.apply_orientation(orientation);
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn an_evidence_photo_keeps_the_whole_picture_within_its_side() {
        let stored = evidence(&png(3200, 1200)).unwrap();
        let back = image::load_from_memory(&stored).unwrap();
        assert_eq!((back.width(), back.height()), (EVIDENCE_SIDE, 600));
        let small = evidence(&png(400, 300)).unwrap();
        let back = image::load_from_memory(&small).unwrap();
        assert_eq!((back.width(), back.height()), (400, 300));
    }

    #[test]
    fn a_photo_is_stored_as_a_small_portrait_jpeg() {
        let stored = process(&png(1000, 600)).unwrap();
        assert_eq!(image::guess_format(&stored).unwrap(), ImageFormat::Jpeg);
        let back = image::load_from_memory(&stored).unwrap();
        assert_eq!((back.width(), back.height()), (WIDTH, HEIGHT));
    }

    /// A JPEG of `width`×`height`, top half white and bottom half black, with an EXIF
    /// orientation tag.
    fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |_, y| {
            if y < height / 2 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([0, 0, 0])
            }
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&img)
            .unwrap();
        // An APP1 Exif segment (big-endian TIFF) with one entry: Orientation.
        let mut tiff =
            b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01".to_vec();
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\x00\x00".to_vec();
        app1.extend_from_slice(&tiff);
        let len = (app1.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_photo_turned_by_its_exif_tag_is_stored_upright() {
        // Tag 6 says "turn 90° clockwise to show": the white top half ends up on the right.
        let plain = process(&jpeg_with_orientation(600, 800, 1)).unwrap();
        let turned = process(&jpeg_with_orientation(600, 800, 6)).unwrap();
        let top_left = |b: &[u8]| {
            image::load_from_memory(b)
                .unwrap()
                .to_rgb8()
                .get_pixel(20, 20)[0]
        };
        let bottom_left = |b: &[u8]| {
            image::load_from_memory(b)
                .unwrap()
                .to_rgb8()
                .get_pixel(20, 460)[0]
        };
        // Untouched: white above, black below.
        assert!(top_left(&plain) > 200 && bottom_left(&plain) < 50);
        // Turned 90° clockwise: the white half goes to the right, so the left is black.
        assert!(top_left(&turned) < 50 && bottom_left(&turned) < 50);
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        assert_eq!(process(b""), Err(PhotoError::Empty));
        assert_eq!(
            process(b"%PDF-1.7 not a photo"),
            Err(PhotoError::NotAnImage)
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(process(gif), Err(PhotoError::NotAnImage));
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert_eq!(process(&broken), Err(PhotoError::Damaged));
    }

    /// CRC-32 as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_huge_declared_size_is_refused_before_decoding() {
        // A valid PNG header that claims 100000 × 100000 pixels.
        let mut header = png(1, 1);
        header[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        header[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&header[12..29]);
        header[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&header), Err(PhotoError::TooLarge));
    }

    #[test]
    fn more_pixels_than_allowed_are_refused_even_within_the_sides() {
        // 7000 × 6000 = 42 million pixels: each side allowed, the whole not.
        let mut header = png(1, 1);
        header[16..20].copy_from_slice(&7_000u32.to_be_bytes());
        header[20..24].copy_from_slice(&6_000u32.to_be_bytes());
        let crc = crc32(&header[12..29]);
        header[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&header), Err(PhotoError::TooLarge));
    }
}
