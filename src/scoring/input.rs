//! The recount format's input (SPEC.md §5), as the server exports it and `pingxuan compute`
//! reads it. Numbers stay as written until [`super::compute`] checks them, so that a bad
//! one is refused with a message naming its entrant, voter, rater or month.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::number::{Number, Text};

/// One period's data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeriodInput {
    pub rules: RulesInput,
    pub months: Vec<String>,
    #[serde(default)]
    pub windows: Vec<WindowInput>,
    #[serde(default)]
    pub staff: Vec<StaffInput>,
    #[serde(default)]
    pub ballots: Vec<BallotInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tallies: Vec<TallyInput>,
    #[serde(default)]
    pub ratings: Vec<RatingInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<DecisionInput>,
}

/// The scheme: weights, counts and thresholds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RulesInput {
    pub weights: WeightsInput,
    pub min_duty_days: Number,
    pub trim_extremes_from: Number,
    pub window: KindRulesInput,
    pub staff: KindRulesInput,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WeightsInput {
    pub assessment: Number,
    pub democratic: Number,
    pub comprehensive: Number,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KindRulesInput {
    pub candidates: Number,
    pub winners: Number,
    pub max_recommendations: Number,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WindowInput {
    pub id: String,
    #[serde(default)]
    pub scores: Entries,
    #[serde(default)]
    pub vetoes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffInput {
    pub id: String,
    pub window: String,
    /// Required; optional here only so that its absence is refused naming the person.
    pub duty_days: Option<Number>,
    #[serde(default)]
    pub scores: Entries,
    #[serde(default)]
    pub vetoes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BallotInput {
    pub voter: String,
    pub window: String,
    pub kind: String,
    #[serde(default)]
    pub recommend: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TallyInput {
    pub kind: String,
    #[serde(default)]
    pub ballots_by_window: Entries,
    #[serde(default)]
    pub recommendations: Entries,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RatingInput {
    pub rater: String,
    pub subject: String,
    pub score: Number,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecisionInput {
    pub kind: String,
    #[serde(default)]
    pub chosen: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

/// A JSON object of numbers, in the order written, with repeated keys kept (so that they
/// can be refused rather than silently dropped).
#[derive(Clone, Debug, Default)]
pub struct Entries(pub Vec<(Text, Number)>);

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Text, Number>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}
