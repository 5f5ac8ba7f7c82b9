//! A real SVG renderer draws each sample's picture: rsvg-convert (Debian
//! package librsvg2-bin; the test fails without it) turns the SVG into a
//! PNG of the size the SVG declares, with ink where the arrows and notes
//! are.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn pixel(&self, x: f64, y: f64) -> [u8; 4] {
        let (x, y) = (x.round() as usize, y.round() as usize);
        let i = (y * self.width as usize + x) * 4;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    fn dark(&self, x: f64, y: f64) -> bool {
        let [r, g, b, _] = self.pixel(x, y);
        (u32::from(r) + u32::from(g) + u32::from(b)) / 3 < 180
    }
}

fn rsvg_convert(svg: &Path, png: &Path) {
    let out = Command::new("rsvg-convert")
        .arg("--format=png")
        .arg("--output")
        .arg(png)
        .arg(svg)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run rsvg-convert ({e}): install it (Debian package librsvg2-bin)")
        });
    assert!(
        out.status.success(),
        "rsvg-convert {}: {}",
        svg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn decode(png: &Path) -> Image {
    let file = std::io::BufReader::new(std::fs::File::open(png).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(
        png::Transformations::normalize_to_color8() | png::Transformations::ALPHA,
    );
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba, "{}", png.display());
    buf.truncate(info.buffer_size());
    Image {
        width: info.width,
        height: info.height,
        rgba: buf,
    }
}

#[test]
fn rsvg_convert_draws_each_sample() {
    let dir = scratch("png_samples");
    for name in SAMPLES {
        let trace = sample(name);
        let entries = entries(&trace).len() as f64;
        let (svg, _) = render(&trace, &dir, name);
        let png = dir.join(format!("{name}.png"));
        rsvg_convert(&dir.join(format!("{name}.svg")), &png);
        let image = decode(&png);

        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        let (w, h) = (attr(root, "width"), attr(root, "height"));
        assert!(
            (f64::from(image.width) - w).abs() <= 1.0,
            "{name}: width {} for {w}",
            image.width
        );
        assert!(
            (f64::from(image.height) - h).abs() <= 1.0,
            "{name}: height {} for {h}",
            image.height
        );
        assert!((600.0..2500.0).contains(&w), "{name}: width {w}");
        assert!(
            h > entries * 20.0 && h < entries * 70.0 + 300.0,
            "{name}: height {h} for {entries} entries"
        );

        // An opaque page, neither blank nor smeared.
        assert!(
            image.rgba.chunks(4).all(|p| p[3] == 255),
            "{name}: transparent pixels"
        );
        let pixels = (image.width * image.height) as usize;
        let dark = image
            .rgba
            .chunks(4)
            .filter(|p| (u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3 < 180)
            .count();
        let share = dark as f64 / pixels as f64;
        assert!(
            (0.005..0.25).contains(&share),
            "{name}: {:.1}% dark pixels",
            share * 100.0
        );

        // Ink along every arrow (dashed ones included), fill in every note.
        for group in entry_groups(&doc) {
            let at = format!("{name} entry {}", group.attribute("data-entry").unwrap());
            for line in parts(group, "line", "arrow") {
                let (x1, x2, y) = (attr(line, "x1"), attr(line, "x2"), attr(line, "y1"));
                for share in [0.25, 0.5, 0.75] {
                    let x = x1 + (x2 - x1) * share;
                    let inked = (-6..=6).any(|dx| {
                        (-1..=1).any(|dy| image.dark(x + f64::from(dx), y + f64::from(dy)))
                    });
                    assert!(inked, "{at}: no arrow drawn at ({x}, {y})");
                }
            }
            for note in parts(group, "rect", "note") {
                let (x, y) = (
                    attr(note, "x") + 3.0,
                    attr(note, "y") + attr(note, "height") / 2.0,
                );
                let [r, g, b, _] = image.pixel(x, y);
                assert!(
                    [r, g, b] != [255, 255, 255] && !image.dark(x, y),
                    "{at}: note not filled at ({x}, {y})"
                );
            }
        }
    }
}
