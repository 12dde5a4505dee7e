//! 1:1 face comparison with MobileFaceNet: a 112×112 crop aligned on five mesh points (eye
//! centres, nose tip, mouth corners) to the standard ArcFace template, embedded into 192
//! numbers, L2-normalised; two faces are compared by cosine similarity.

use crate::error::ModelError;
use crate::frame::{warp_into, Affine, Frame};
use crate::mesh::FaceMesh;
use crate::net::Net;

pub(crate) const INPUT: usize = 112;
pub const DIM: usize = 192;

/// The ArcFace 112×112 five-point template: image-left eye, image-right eye, nose tip,
/// image-left mouth corner, image-right mouth corner.
const TEMPLATE: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Cosine similarity at or above which two faces are taken to be the same person.
///
/// Chosen on `shared/testdata/faces/pairs.csv` (13 same-person, 11 different-person pairs): see
/// MODELS.md "Comparison threshold" for every pair's score, TAR and FAR.
pub const MATCH_THRESHOLD: f32 = 0.6;

/// A unit-length face embedding.
#[derive(Clone, PartialEq)]
pub struct Embedding([f32; DIM]);

impl std::fmt::Debug for Embedding {
    // Biometric data: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Embedding(..)")
    }
}

impl Embedding {
    /// L2-normalises `raw`; `None` when it is not 192 finite numbers with a non-zero norm.
    pub fn from_raw(raw: &[f32]) -> Option<Embedding> {
        if raw.len() != DIM || !raw.iter().all(|v| v.is_finite()) {
            return None;
        }
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm <= 1e-10 {
            return None;
        }
        let mut out = [0.0; DIM];
        for (o, v) in out.iter_mut().zip(raw) {
            *o = v / norm;
        }
        Some(Embedding(out))
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity in −1..=1 (both are unit length).
    pub fn similarity(&self, other: &Embedding) -> f32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| a * b)
            .sum::<f32>()
            .clamp(-1.0, 1.0)
    }
}

/// The outcome of comparing a live face with the stored reference photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// There is no reference photo for this person (seed 001: 人脸比对无基准照片): they must
    /// have one taken at a service centre. Not a failed comparison.
    NoReferencePhoto,
    /// Same person: similarity ≥ the threshold.
    Match { similarity: f32 },
    /// Not the same person.
    NoMatch { similarity: f32 },
}

impl Comparison {
    pub fn is_match(&self) -> bool {
        matches!(self, Comparison::Match { .. })
    }
}

/// Compares `live` with the reference (if any) at [`MATCH_THRESHOLD`].
pub fn compare(reference: Option<&Embedding>, live: &Embedding) -> Comparison {
    compare_at(reference, live, MATCH_THRESHOLD)
}

/// Compares at a given threshold.
pub fn compare_at(reference: Option<&Embedding>, live: &Embedding, threshold: f32) -> Comparison {
    match reference {
        None => Comparison::NoReferencePhoto,
        Some(r) => {
            let similarity = r.similarity(live);
            if similarity >= threshold {
                Comparison::Match { similarity }
            } else {
                Comparison::NoMatch { similarity }
            }
        }
    }
}

/// The five alignment points of a mesh, in the template's order.
fn five_points(mesh: &FaceMesh) -> [[f32; 2]; 5] {
    let mid = |a: usize, b: usize| {
        let (p, q) = (mesh.point(a), mesh.point(b));
        [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0]
    };
    let xy = |i: usize| {
        let p = mesh.point(i);
        [p[0], p[1]]
    };
    // Eyes: subject's right (33/133) and left (263/362); mouth corners 61 and 291.
    let (eye_r, eye_l) = (mid(33, 133), mid(263, 362));
    let (mouth_r, mouth_l) = (xy(61), xy(291));
    let nose = xy(1);
    // Order by the crop's x axis (along the eye line) so "image-left" holds in mirrored views.
    if mesh.crop_point(33)[0] <= mesh.crop_point(263)[0] {
        [eye_r, eye_l, nose, mouth_r, mouth_l]
    } else {
        [eye_l, eye_r, nose, mouth_l, mouth_r]
    }
}

/// Least-squares similarity transform (rotation, uniform scale, translation) taking template
/// points to view points: view = [a −b; b a]·(t − t̄) + v̄.
fn similarity_from_template(view: &[[f32; 2]; 5]) -> Option<Affine> {
    let n = TEMPLATE.len() as f32;
    // The template uses pixel centres at integers; our output pixel `u` covers `[u, u+1)`, so
    // template point `t` is output coordinate `t + 0.5`.
    let tm = [
        TEMPLATE.iter().map(|p| p[0]).sum::<f32>() / n + 0.5,
        TEMPLATE.iter().map(|p| p[1]).sum::<f32>() / n + 0.5,
    ];
    let vm = [
        view.iter().map(|p| p[0]).sum::<f32>() / n,
        view.iter().map(|p| p[1]).sum::<f32>() / n,
    ];
    let (mut sa, mut sb, mut st) = (0.0, 0.0, 0.0);
    for (t, v) in TEMPLATE.iter().zip(view) {
        let (u, w) = (t[0] + 0.5 - tm[0], t[1] + 0.5 - tm[1]);
        let (x, y) = (v[0] - vm[0], v[1] - vm[1]);
        sa += u * x + w * y;
        sb += u * y - w * x;
        st += u * u + w * w;
    }
    if st <= 0.0 {
        return None;
    }
    let (a, b) = (sa / st, sb / st);
    if !(a.is_finite() && b.is_finite()) || a.hypot(b) < 1e-3 {
        return None;
    }
    Some(Affine {
        a,
        b: -b,
        c: vm[0] - a * tm[0] + b * tm[1],
        d: b,
        e: a,
        f: vm[1] - b * tm[0] - a * tm[1],
    })
}

pub(crate) struct Embedder {
    net: Net,
    input: Vec<f32>,
}

impl Embedder {
    pub(crate) fn net_mut(&mut self) -> &mut Net {
        &mut self.net
    }

    pub fn load(bytes: &[u8]) -> Result<Embedder, ModelError> {
        let net = Net::load(crate::assets::EMBEDDER.name, bytes, [1, 3, INPUT, INPUT])?;
        let input = vec![0.0; net.input_len()];
        Ok(Embedder { net, input })
    }

    /// Embeds the face whose mesh is given; `None` if the alignment is degenerate.
    pub fn embed(
        &mut self,
        frame: &Frame<'_>,
        mesh: &FaceMesh,
    ) -> Result<Option<Embedding>, ModelError> {
        let Some(map) = similarity_from_template(&five_points(mesh)) else {
            return Ok(None);
        };
        warp_into(frame, &map, INPUT, 127.5, 1.0 / 128.0, 0.0, &mut self.input);
        let outputs = self.net.run(&self.input)?;
        Ok(outputs
            .iter()
            .find(|o| o.len() == DIM)
            .and_then(|o| Embedding::from_raw(o)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(i: usize) -> Embedding {
        let mut v = [0.0; DIM];
        v[i] = 3.0;
        Embedding::from_raw(&v).unwrap()
    }

    #[test]
    fn embeddings_are_normalised_and_compared_by_cosine() {
        let a = unit(0);
        assert!((a.as_slice()[0] - 1.0).abs() < 1e-6);
        assert_eq!(a.similarity(&a), 1.0);
        assert_eq!(a.similarity(&unit(1)), 0.0);
        assert!(Embedding::from_raw(&[0.0; DIM]).is_none());
        assert!(Embedding::from_raw(&[1.0; 3]).is_none());
        let mut nan = [1.0; DIM];
        nan[5] = f32::NAN;
        assert!(Embedding::from_raw(&nan).is_none());
    }

    #[test]
    fn no_reference_photo_is_its_own_outcome() {
        let a = unit(0);
        assert_eq!(compare(None, &a), Comparison::NoReferencePhoto);
        assert!(compare(Some(&a), &a).is_match());
        assert_eq!(
            compare(Some(&unit(1)), &a),
            Comparison::NoMatch { similarity: 0.0 }
        );
    }

    #[test]
    fn similarity_transform_recovers_scale_rotation_and_shift() {
        // view = 2·R(30°)·t + (100, 50)
        let (s, c) = (
            30f32.to_radians().sin() * 2.0,
            30f32.to_radians().cos() * 2.0,
        );
        let view = TEMPLATE.map(|t| [c * t[0] - s * t[1] + 100.0, s * t[0] + c * t[1] + 50.0]);
        let m = similarity_from_template(&view).unwrap();
        let (x, y) = m.apply(TEMPLATE[2][0] + 0.5, TEMPLATE[2][1] + 0.5);
        assert!((x - view[2][0]).abs() < 1e-3 && (y - view[2][1]).abs() < 1e-3);
        assert!((m.scale() - 2.0).abs() < 1e-4);
    }
}
