//! Crafting questionnaires: tenant-defined instruments (items on an answer scale, each item in a
//! subscale, each subscale measuring one facet of a crafting dimension in a direction), their
//! administrations to a tenure's holder, subscale scores, and across administrations the
//! internal consistency of each subscale (Cronbach's alpha) and the distribution of its scores.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::domain::facet::{Dimension, Facet, KEY_MAX};
use crate::domain::text::{self, NAME_MAX};
use crate::error::{Error, Violations};

pub const ITEMS_MAX: usize = 200;
pub const SUBSCALES_MAX: usize = 20;
pub const ITEM_TEXT_MAX: usize = 500;
pub const DESCRIPTION_MAX: usize = 2_000;
/// An answer scale has 2 to 11 points…
pub const SCALE_POINTS_MAX: i32 = 11;
/// …between -100 and 100, so that no arithmetic on answers can overflow.
pub const SCALE_BOUND: i32 = 100;

/// The answers an item takes: whole numbers from `min` to `max`, some with labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// The lowest answer, -100 to 100.
    #[schema(minimum = -100, maximum = 100, examples(1))]
    pub min: i32,
    /// The highest answer: 1 to 10 above `min`, at most 100.
    #[schema(minimum = -100, maximum = 100, examples(5))]
    pub max: i32,
    /// Labels of scale points, e.g. 1 "never" … 5 "very often".
    #[serde(default)]
    pub labels: Vec<ScaleLabel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleLabel {
    pub value: i32,
    #[schema(min_length = 1, max_length = 200)]
    pub label: String,
}

/// Whether a high score means the holder does more of the facet, or less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Increasing,
    Decreasing,
}

/// A group of items measuring one facet: `dimension:facet_key` (a vocabulary key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscale {
    /// Names the subscale within the instrument, e.g. `structural_resources`.
    #[schema(min_length = 1, max_length = 64)]
    pub key: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub dimension: Dimension,
    /// The facet it measures, a key of the tenant's vocabulary for `dimension`.
    #[schema(min_length = 1, max_length = 64)]
    pub facet_key: String,
    pub direction: Direction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Names the item within the instrument, e.g. `q1`.
    #[schema(min_length = 1, max_length = 64)]
    pub key: String,
    #[schema(min_length = 1, max_length = 500)]
    pub text: String,
    /// The `key` of its subscale.
    pub subscale: String,
    /// Reverse-keyed: an answer `a` counts as `min + max − a`.
    #[serde(default)]
    pub reverse: bool,
}

/// An instrument as a client writes it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstrument {
    pub name: String,
    pub description: Option<String>,
    pub scale: Scale,
    pub subscales: Vec<Subscale>,
    pub items: Vec<Item>,
}

impl NewInstrument {
    pub fn validate(self) -> Result<Self, Error> {
        let mut v = Violations::default();
        let name = v.check(text::required(&self.name, "/name", NAME_MAX));
        let description = v
            .check(text::optional(self.description.as_deref(), "/description", DESCRIPTION_MAX))
            .flatten();
        let Scale { min, max, .. } = self.scale;
        for (value, pointer) in [(min, "/scale/min"), (max, "/scale/max")] {
            if !(-SCALE_BOUND..=SCALE_BOUND).contains(&value) {
                v.add(pointer, format!("must be between -{SCALE_BOUND} and {SCALE_BOUND}"));
            }
        }
        let points = i64::from(max) - i64::from(min) + 1;
        if !(2..=i64::from(SCALE_POINTS_MAX)).contains(&points) {
            v.add("/scale/max", format!("a scale has 2 to {SCALE_POINTS_MAX} points from `min`"));
        }
        let mut labels = Vec::new();
        for (i, l) in self.scale.labels.iter().enumerate() {
            if !(min..=max).contains(&l.value)
                || self.scale.labels[..i].iter().any(|o| o.value == l.value)
            {
                v.add(format!("/scale/labels/{i}/value"), "a point of the scale, labelled once");
            }
            if let Some(label) =
                v.check(text::required(&l.label, &format!("/scale/labels/{i}/label"), NAME_MAX))
            {
                labels.push(ScaleLabel { value: l.value, label });
            }
        }
        if self.subscales.is_empty() || self.subscales.len() > SUBSCALES_MAX {
            v.add("/subscales", format!("1 to {SUBSCALES_MAX} subscales"));
        }
        let mut subscales = Vec::new();
        for (i, s) in self.subscales.iter().enumerate() {
            let at = format!("/subscales/{i}");
            let key = v.check(text::slug(&s.key, &format!("{at}/key"), KEY_MAX));
            let name = v.check(text::required(&s.name, &format!("{at}/name"), NAME_MAX));
            let facet_key = v.check(text::slug(&s.facet_key, &format!("{at}/facet_key"), KEY_MAX));
            if self.subscales[..i].iter().any(|o| o.key == s.key) {
                v.add(format!("{at}/key"), "appears more than once");
            }
            // A revision made from the answers sets each facet once.
            if self.subscales[..i]
                .iter()
                .any(|o| o.dimension == s.dimension && o.facet_key == s.facet_key)
            {
                v.add(format!("{at}/facet_key"), "another subscale measures this facet already");
            }
            if let (Some(key), Some(name), Some(facet_key)) = (key, name, facet_key) {
                subscales.push(Subscale { key, name, facet_key, ..s.clone() });
            }
        }
        if self.items.is_empty() || self.items.len() > ITEMS_MAX {
            v.add("/items", format!("1 to {ITEMS_MAX} items"));
        }
        let mut items = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            let at = format!("/items/{i}");
            let key = v.check(text::slug(&item.key, &format!("{at}/key"), KEY_MAX));
            let item_text =
                v.check(text::required(&item.text, &format!("{at}/text"), ITEM_TEXT_MAX));
            if self.items[..i].iter().any(|o| o.key == item.key) {
                v.add(format!("{at}/key"), "appears more than once");
            }
            if !self.subscales.iter().any(|s| s.key == item.subscale) {
                v.add(format!("{at}/subscale"), "not the key of a subscale of this instrument");
            }
            if let (Some(key), Some(item_text)) = (key, item_text) {
                items.push(Item { key, text: item_text, ..item.clone() });
            }
        }
        for (i, s) in self.subscales.iter().enumerate() {
            if !self.items.is_empty() && !self.items.iter().any(|item| item.subscale == s.key) {
                v.add(format!("/subscales/{i}"), "has no items");
            }
        }
        v.into_result()?;
        Ok(NewInstrument {
            name: name.unwrap_or_default(),
            description,
            scale: Scale { min, max, labels },
            subscales,
            items,
        })
    }

    /// The facets its subscales measure, for the vocabulary check (pointers `/subscales/{i}`).
    pub fn measured(&self) -> Vec<Facet> {
        self.subscales
            .iter()
            .map(|s| Facet {
                dimension: s.dimension,
                key: s.facet_key.clone(),
                weight: 0.0,
                note: None,
                core: false,
                floor: None,
            })
            .collect()
    }
}

/// Who answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RespondentKind {
    /// The holder about themselves.
    #[serde(rename = "self")]
    SelfReport,
    /// The holder's manager, observing.
    Manager,
    /// A salesperson covering the holder, observing.
    Salesperson,
    /// A colleague, observing.
    Peer,
}

impl RespondentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RespondentKind::SelfReport => "self",
            RespondentKind::Manager => "manager",
            RespondentKind::Salesperson => "salesperson",
            RespondentKind::Peer => "peer",
        }
    }

    pub fn parse(name: &str) -> Option<RespondentKind> {
        use RespondentKind::*;
        [SelfReport, Manager, Salesperson, Peer].into_iter().find(|k| k.as_str() == name)
    }

    /// How far a crafting revision made from its answers is trusted: a manager's observation
    /// of the job most, a self-report least (it states intent as much as practice).
    pub fn confidence(self) -> f64 {
        match self {
            RespondentKind::Manager => 0.8,
            RespondentKind::Salesperson | RespondentKind::Peer => 0.7,
            RespondentKind::SelfReport => 0.6,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The item's key.
    pub item: String,
    pub value: i32,
}

/// Checks answers against the instrument: known items, each once, values on the scale.
pub fn check_answers(instrument: &NewInstrument, answers: &[Answer]) -> Result<(), Error> {
    let mut v = Violations::default();
    if answers.is_empty() {
        v.add("/answers", "at least one answer");
    }
    let mut seen = HashSet::new();
    for (i, a) in answers.iter().enumerate() {
        if !instrument.items.iter().any(|item| item.key == a.item) {
            v.add(format!("/answers/{i}/item"), "not an item of this instrument");
        } else if !seen.insert(a.item.as_str()) {
            v.add(format!("/answers/{i}/item"), "answered twice");
        }
        let (min, max) = (instrument.scale.min, instrument.scale.max);
        if !(min..=max).contains(&a.value) {
            v.add(format!("/answers/{i}/value"), format!("must be on the scale, {min} to {max}"));
        }
    }
    v.into_result()
}

/// One subscale's score in one administration: the mean of its answered items (reverse-keyed
/// ones turned), with how many were answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscaleScore {
    pub subscale: Subscale,
    pub mean: Option<f64>,
    pub answered: usize,
    pub items: usize,
}

impl SubscaleScore {
    /// The score as a facet weight: the mean's place on the scale, 0 to 1, negative for a
    /// decreasing subscale.
    pub fn weight(&self, scale: &Scale) -> Option<f64> {
        let mean = self.mean?;
        let share = (mean - f64::from(scale.min)) / f64::from(scale.max - scale.min);
        Some(match self.subscale.direction {
            Direction::Increasing => share,
            Direction::Decreasing => -share,
        })
    }
}

/// The answer as it counts: reverse-keyed items turned.
fn keyed(instrument: &NewInstrument, item: &Item, value: i32) -> f64 {
    let value =
        if item.reverse { instrument.scale.min + instrument.scale.max - value } else { value };
    f64::from(value)
}

pub fn scores(instrument: &NewInstrument, answers: &[Answer]) -> Vec<SubscaleScore> {
    let by_item: BTreeMap<&str, i32> = answers.iter().map(|a| (a.item.as_str(), a.value)).collect();
    instrument
        .subscales
        .iter()
        .map(|s| {
            let items: Vec<&Item> =
                instrument.items.iter().filter(|i| i.subscale == s.key).collect();
            let values: Vec<f64> = items
                .iter()
                .filter_map(|i| by_item.get(i.key.as_str()).map(|v| keyed(instrument, i, *v)))
                .collect();
            SubscaleScore {
                subscale: s.clone(),
                mean: (!values.is_empty())
                    .then(|| values.iter().sum::<f64>() / values.len() as f64),
                answered: values.len(),
                items: items.len(),
            }
        })
        .collect()
}

/// Cronbach's alpha of `rows` (one per respondent, one column per item, all answered):
/// k/(k−1) · (1 − Σ item variances / variance of the totals), with sample variances. `None`
/// for fewer than two items or respondents, or totals that never vary.
pub fn cronbach_alpha(rows: &[Vec<f64>]) -> Option<f64> {
    let k = rows.first()?.len();
    if k < 2 || rows.len() < 2 {
        return None;
    }
    let item_variances: f64 = (0..k).map(|j| variance(rows.iter().map(|r| r[j]))).sum();
    let total_variance = variance(rows.iter().map(|r| r.iter().sum()));
    if total_variance <= 0.0 {
        return None;
    }
    let k = k as f64;
    Some(k / (k - 1.0) * (1.0 - item_variances / total_variance))
}

/// Sample variance (n − 1); 0 for fewer than two values.
fn variance(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count();
    if n < 2 {
        return 0.0;
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
}

/// A subscale across administrations.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscaleStatistics {
    pub subscale: Subscale,
    /// Administrations that answered at least one of its items.
    pub n: usize,
    /// Cronbach's alpha over the administrations that answered all of its items, and how many
    /// those were.
    pub alpha: Option<f64>,
    pub alpha_n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// How many scores fall nearest each point of the scale, `min` first.
    pub distribution: Vec<usize>,
}

pub fn statistics(
    instrument: &NewInstrument,
    administrations: &[Vec<Answer>],
) -> Vec<SubscaleStatistics> {
    let points = (instrument.scale.max - instrument.scale.min + 1).max(1) as usize;
    instrument
        .subscales
        .iter()
        .map(|s| {
            let items: Vec<&Item> =
                instrument.items.iter().filter(|i| i.subscale == s.key).collect();
            let mut complete = Vec::new();
            let mut means = Vec::new();
            let mut distribution = vec![0; points];
            for answers in administrations {
                let by_item: BTreeMap<&str, i32> =
                    answers.iter().map(|a| (a.item.as_str(), a.value)).collect();
                let row: Vec<Option<f64>> = items
                    .iter()
                    .map(|i| by_item.get(i.key.as_str()).map(|v| keyed(instrument, i, *v)))
                    .collect();
                let answered: Vec<f64> = row.iter().flatten().copied().collect();
                if answered.is_empty() {
                    continue;
                }
                let mean = answered.iter().sum::<f64>() / answered.len() as f64;
                means.push(mean);
                let point = (mean - f64::from(instrument.scale.min))
                    .round()
                    .clamp(0.0, (points - 1) as f64);
                distribution[point as usize] += 1;
                if answered.len() == items.len() {
                    complete.push(answered);
                }
            }
            let n = means.len();
            let mean = (n > 0).then(|| means.iter().sum::<f64>() / n as f64);
            SubscaleStatistics {
                subscale: s.clone(),
                n,
                alpha: cronbach_alpha(&complete),
                alpha_n: complete.len(),
                mean,
                sd: (n > 1).then(|| variance(means.iter().copied()).sqrt()),
                distribution,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example instrument: two subscales of two items, one item reverse-keyed.
    fn instrument() -> NewInstrument {
        let subscale = |key: &str, dimension, facet: &str, direction| Subscale {
            key: key.into(),
            name: key.into(),
            dimension,
            facet_key: facet.into(),
            direction,
        };
        let item = |key: &str, subscale: &str, reverse| Item {
            key: key.into(),
            text: format!("Item {key}"),
            subscale: subscale.into(),
            reverse,
        };
        NewInstrument {
            name: "Example".into(),
            description: None,
            scale: Scale { min: 1, max: 5, labels: vec![] },
            subscales: vec![
                subscale(
                    "contact",
                    Dimension::Relational,
                    "customer_contact",
                    Direction::Increasing,
                ),
                subscale("claims", Dimension::Task, "claims_handling", Direction::Decreasing),
            ],
            items: vec![
                item("q1", "contact", false),
                item("q2", "contact", true),
                item("q3", "claims", false),
                item("q4", "claims", false),
            ],
        }
    }

    fn answers(values: &[(&str, i32)]) -> Vec<Answer> {
        values.iter().map(|(item, value)| Answer { item: (*item).into(), value: *value }).collect()
    }

    #[test]
    fn scores_turn_reverse_keyed_items_and_count_what_was_answered() {
        let i = instrument().validate().unwrap();
        let s = scores(&i, &answers(&[("q1", 4), ("q2", 2), ("q3", 5)]));
        assert_eq!(s[0].mean, Some(4.0), "q2's 2 counts as 4");
        assert_eq!((s[0].answered, s[0].items), (2, 2));
        assert_eq!(s[1].mean, Some(5.0));
        assert_eq!(s[0].weight(&i.scale), Some(0.75));
        assert_eq!(s[1].weight(&i.scale), Some(-1.0), "a decreasing subscale plays it down");
        let none = scores(&i, &answers(&[("q1", 3)]));
        assert_eq!((none[1].mean, none[1].answered), (None, 0));
    }

    #[test]
    fn answers_must_be_known_items_on_the_scale() {
        let i = instrument().validate().unwrap();
        let bad = answers(&[("q1", 6), ("q9", 3), ("q1", 2)]);
        let Err(Error::Invalid(errors)) = check_answers(&i, &bad) else { panic!() };
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/answers/0/value", "/answers/1/item", "/answers/2/item"]);
        assert!(check_answers(&i, &[]).is_err());
    }

    #[test]
    fn an_instrument_needs_items_in_every_subscale() {
        let mut empty = instrument();
        empty.items.clear();
        let Err(Error::Invalid(errors)) = empty.validate() else { panic!() };
        assert_eq!(errors[0].pointer, "/items");
        let mut orphan = instrument();
        orphan.items.retain(|i| i.subscale == "contact");
        orphan.items[0].subscale = "nothing".into();
        let Err(Error::Invalid(errors)) = orphan.validate() else { panic!() };
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/items/0/subscale", "/subscales/1"]);
    }

    #[test]
    fn a_scale_is_small_and_each_facet_measured_once() {
        let mut huge = instrument();
        huge.scale = Scale { min: 0, max: i32::MAX, labels: vec![] };
        let Err(Error::Invalid(errors)) = huge.validate() else { panic!() };
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/scale/max", "/scale/max"]);
        let mut twice = instrument();
        twice.subscales[1].dimension = Dimension::Relational;
        twice.subscales[1].facet_key = "customer_contact".into();
        let Err(Error::Invalid(errors)) = twice.validate() else { panic!() };
        assert_eq!(errors[0].pointer, "/subscales/1/facet_key");
    }

    #[test]
    fn alpha_matches_a_hand_computed_example() {
        // Three respondents, three items: item variances 1, 1, 1 (sum 3); totals 6, 9, 12
        // (variance 9): alpha = 3/2 · (1 − 3/9) = 1.
        let rows = vec![vec![1.0, 2.0, 3.0], vec![2.0, 3.0, 4.0], vec![3.0, 4.0, 5.0]];
        assert!((cronbach_alpha(&rows).unwrap() - 1.0).abs() < 1e-12);
        // Items that disagree: item variances 1 and 1, totals 4, 4, 4 never vary.
        assert_eq!(cronbach_alpha(&[vec![1.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0]]), None);
        // Known value: items (2,3,4,5) and (1,3,3,5): variances 5/3 and 8/3, totals 3,6,7,10
        // (variance 25/3): alpha = 2 · (1 − 13/25) = 0.96.
        let rows = vec![vec![2.0, 1.0], vec![3.0, 3.0], vec![4.0, 3.0], vec![5.0, 5.0]];
        assert!((cronbach_alpha(&rows).unwrap() - 0.96).abs() < 1e-12);
        assert_eq!(cronbach_alpha(&rows[..1]), None);
    }

    #[test]
    fn statistics_count_complete_administrations_for_alpha() {
        let i = instrument().validate().unwrap();
        let all = vec![
            answers(&[("q1", 5), ("q2", 1), ("q3", 2), ("q4", 2)]),
            answers(&[("q1", 3), ("q2", 3), ("q3", 4), ("q4", 5)]),
            answers(&[("q1", 1), ("q2", 5), ("q3", 1)]),
        ];
        let s = statistics(&i, &all);
        assert_eq!((s[0].n, s[0].alpha_n), (3, 3));
        assert!((s[0].alpha.unwrap() - 1.0).abs() < 1e-12, "q2 reversed agrees with q1");
        assert_eq!(s[0].distribution, vec![1, 0, 1, 0, 1]);
        assert_eq!((s[1].n, s[1].alpha_n), (3, 2));
        assert!((s[0].mean.unwrap() - 3.0).abs() < 1e-12);
    }
}
