//! `teleprobe summarize`: many captures' flows, calls and findings tables,
//! stacked and aggregated with polars. Every figure is a plain sum or count
//! over the rows, so the totals equal the reports added up by hand.

use polars::prelude::*;

const DAY_MICROS: i64 = 86_400_000_000;

/// The aggregates, each a small table.
pub struct Summary {
    /// One row: captures, flows, bytes, calls, findings, media packets and
    /// the share of them encrypted.
    pub totals: DataFrame,
    /// Calls per verdict.
    pub verdicts: DataFrame,
    /// Per vendor (relay or media server's platform; `(none)` for direct or
    /// unattributed calls): calls, their bytes, media and the share encrypted.
    pub vendors: DataFrame,
    /// Per platform that carried calls and its BAA status (`(none)` for
    /// calls on no recognised platform): the same figures.
    pub platforms: DataFrame,
    /// Per protocol: flows carrying it and their bytes, and calls with a
    /// flow carrying it. A flow with several protocols counts under each.
    pub protocols: DataFrame,
    /// Findings per UTC day (of their first evidence), id and severity.
    pub findings_over_time: DataFrame,
}

/// Stacks tables of the same kind read from several captures.
pub fn concat(frames: Vec<DataFrame>) -> PolarsResult<Option<DataFrame>> {
    let mut frames = frames.into_iter();
    let Some(mut all) = frames.next() else {
        return Ok(None);
    };
    for frame in frames {
        all.vstack_mut_owned(frame)?;
    }
    Ok(Some(all))
}

/// Share `part / whole` as a Float64, null when `whole` is zero.
fn share(part: &str, whole: &str) -> Expr {
    when(col(whole).eq(lit(0u64)))
        .then(lit(NULL))
        .otherwise(col(part).cast(DataType::Float64) / col(whole).cast(DataType::Float64))
}

fn count() -> Expr {
    len().cast(DataType::UInt64)
}

/// Splits the comma-separated `protocols` column into one row per
/// (protocol, row), carrying the given UInt64 columns along.
fn explode_protocols(df: &DataFrame, carry: &[&str]) -> PolarsResult<DataFrame> {
    let protocols = df.column("protocols")?.str()?;
    let carried: Vec<&UInt64Chunked> = carry
        .iter()
        .map(|name| df.column(name).and_then(|c| c.u64()))
        .collect::<PolarsResult<_>>()?;
    let mut names: Vec<&str> = Vec::new();
    let mut values: Vec<Vec<u64>> = vec![Vec::new(); carry.len()];
    for row in 0..df.height() {
        for protocol in protocols.get(row).unwrap_or("").split(',') {
            if protocol.is_empty() {
                continue;
            }
            names.push(protocol);
            for (column, out) in carried.iter().zip(values.iter_mut()) {
                out.push(column.get(row).unwrap_or(0));
            }
        }
    }
    let mut columns = vec![Column::new("protocol".into(), names)];
    for (name, v) in carry.iter().zip(values) {
        columns.push(Column::new((*name).into(), v));
    }
    DataFrame::new(columns[0].len(), columns)
}

pub fn summarize(
    flows: &DataFrame,
    calls: &DataFrame,
    findings: &DataFrame,
) -> PolarsResult<Summary> {
    let flow_bytes = col("bytes_client_to_server") + col("bytes_server_to_client");
    let flow_packets = col("packets_client_to_server") + col("packets_server_to_client");
    let flows_with_totals = flows
        .clone()
        .lazy()
        .with_columns([flow_bytes.alias("bytes"), flow_packets.alias("packets")])
        .collect()?;

    let captures = {
        let keys = flows
            .clone()
            .lazy()
            .select([col("capture"), col("sensor")])
            .collect()?
            .vstack(&calls.select(["capture", "sensor"])?)?
            .vstack(&findings.select(["capture", "sensor"])?)?;
        keys.unique_stable(None, UniqueKeepStrategy::First, None)?
            .height() as u64
    };
    let flow_totals = flows_with_totals
        .clone()
        .lazy()
        .select([
            count().alias("flows"),
            col("packets").sum().alias("packets"),
            col("bytes").sum().alias("bytes"),
        ])
        .collect()?;
    let call_totals = calls
        .clone()
        .lazy()
        .select([
            count().alias("calls"),
            col("media_streams").sum(),
            col("encrypted_streams").sum(),
            col("media_packets").sum(),
            col("encrypted_media_packets").sum(),
        ])
        .with_column(share("encrypted_media_packets", "media_packets").alias("encrypted_share"))
        .collect()?;
    let finding_totals = findings
        .clone()
        .lazy()
        .select([count().alias("findings")])
        .collect()?;
    let mut totals = DataFrame::new(1, vec![Column::new("captures".into(), [captures])])?;
    totals.hstack_mut(flow_totals.columns())?;
    totals.hstack_mut(call_totals.columns())?;
    totals.hstack_mut(finding_totals.columns())?;

    let verdicts = calls
        .clone()
        .lazy()
        .group_by([col("verdict")])
        .agg([count().alias("calls")])
        .sort(["verdict"], SortMultipleOptions::default())
        .collect()?;

    let vendors = per_call_group(calls, &["vendor"])?;
    let platforms = per_call_group(calls, &["platform", "platform_baa"])?;

    let flow_protocols = explode_protocols(&flows_with_totals, &["bytes", "packets"])?
        .lazy()
        .group_by([col("protocol")])
        .agg([
            count().alias("flows"),
            col("packets").sum(),
            col("bytes").sum(),
        ]);
    let call_protocols = explode_protocols(calls, &["bytes"])?
        .lazy()
        .group_by([col("protocol")])
        .agg([
            count().alias("calls"),
            col("bytes").sum().alias("call_bytes"),
        ]);
    let protocols = flow_protocols
        .join(
            call_protocols,
            [col("protocol")],
            [col("protocol")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("calls").fill_null(lit(0u64)),
            col("call_bytes").fill_null(lit(0u64)),
        ])
        .sort(["protocol"], SortMultipleOptions::default())
        .collect()?;

    // Day of the first evidence, truncated in plain integer arithmetic.
    let first = findings.column("first_timestamp")?.cast(&DataType::Int64)?;
    let first = first.i64()?;
    let days: Vec<i64> = (0..findings.height())
        .map(|i| first.get(i).unwrap_or(0).div_euclid(DAY_MICROS) * DAY_MICROS)
        .collect();
    let mut with_day = findings.clone();
    with_day.with_column(
        Column::new("day".into(), days).cast(&DataType::Datetime(TimeUnit::Microseconds, None))?,
    )?;
    let findings_over_time = with_day
        .lazy()
        .group_by([col("day"), col("finding"), col("severity")])
        .agg([count().alias("findings"), col("evidence").sum()])
        .sort(
            ["day", "finding", "severity"],
            SortMultipleOptions::default(),
        )
        .collect()?;

    Ok(Summary {
        totals,
        verdicts,
        vendors,
        platforms,
        protocols,
        findings_over_time,
    })
}

/// Calls grouped by `keys` (`(none)` where a key is empty): their count,
/// bytes, media streams and packets, and the share encrypted.
fn per_call_group(calls: &DataFrame, keys: &[&str]) -> PolarsResult<DataFrame> {
    let filled: Vec<Expr> = keys
        .iter()
        .map(|k| col(*k).fill_null(lit("(none)")))
        .collect();
    let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    calls
        .clone()
        .lazy()
        .with_columns(filled)
        .group_by(by)
        .agg([
            count().alias("calls"),
            col("bytes").sum(),
            col("media_streams").sum(),
            col("encrypted_streams").sum(),
            col("media_packets").sum(),
            col("encrypted_media_packets").sum(),
        ])
        .with_column(share("encrypted_media_packets", "media_packets").alias("encrypted_share"))
        .sort(keys.to_vec(), SortMultipleOptions::default())
        .collect()
}

/// One value of a summary table, for rendering outside polars.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    /// Microseconds since the Unix epoch, UTC.
    Time(i64),
}

/// A table as column names and rows of cells.
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn from_frame(df: &DataFrame) -> PolarsResult<Table> {
        let columns = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let mut rows = Vec::with_capacity(df.height());
        for i in 0..df.height() {
            let mut row = Vec::with_capacity(df.width());
            for column in df.columns() {
                row.push(match column.get(i)? {
                    AnyValue::Null => Cell::Null,
                    AnyValue::UInt8(v) => Cell::UInt(v.into()),
                    AnyValue::UInt16(v) => Cell::UInt(v.into()),
                    AnyValue::UInt32(v) => Cell::UInt(v.into()),
                    AnyValue::UInt64(v) => Cell::UInt(v),
                    AnyValue::Int32(v) => Cell::Int(v.into()),
                    AnyValue::Int64(v) => Cell::Int(v),
                    AnyValue::Float64(v) => Cell::Float(v),
                    AnyValue::Float32(v) => Cell::Float(v.into()),
                    AnyValue::String(v) => Cell::Text(v.to_string()),
                    AnyValue::StringOwned(v) => Cell::Text(v.to_string()),
                    AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
                        Cell::Time(match unit {
                            TimeUnit::Nanoseconds => v / 1000,
                            TimeUnit::Microseconds => v,
                            TimeUnit::Milliseconds => v * 1000,
                        })
                    }
                    other => Cell::Text(other.to_string()),
                });
            }
            rows.push(row);
        }
        Ok(Table { columns, rows })
    }
}
