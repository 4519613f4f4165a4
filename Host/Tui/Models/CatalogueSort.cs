using Zoo.Engine.Inspection;

namespace Zoo.Tui;

/// <summary>The catalogue's columns, in the order F3 goes through them.</summary>
public enum CatalogueColumn { Family, Name, Parameters, Gmacs, Year }

/// <summary>
/// The catalogue's order: a column and a direction. Family (then name) ascending is the order every front-end lists the
/// zoo in; numbers start with the largest, text with A; variants without a parameter count (or, sorting by GMACs, without
/// a figure yet or at all) go last either way; ties keep the family-then-name order.
/// </summary>
public sealed record CatalogueSort(CatalogueColumn Column = CatalogueColumn.Family, bool Descending = false)
{
    static bool Numeric(CatalogueColumn c) => c is CatalogueColumn.Parameters or CatalogueColumn.Gmacs or CatalogueColumn.Year;

    /// <summary>The next column (after Year: Family again), in its natural direction.</summary>
    public CatalogueSort Next()
    {
        var next = (CatalogueColumn)(((int)Column + 1) % Enum.GetValues<CatalogueColumn>().Length);
        return new CatalogueSort(next, Numeric(next));
    }

    public CatalogueSort Reversed() => this with { Descending = !Descending };

    /// <summary>"family ▲", "parameters ▼": what the catalogue's title shows.</summary>
    public string Text => $"{(Column == CatalogueColumn.Gmacs ? "GMACs" : Column.ToString().ToLowerInvariant())} {(Descending ? "▼" : "▲")}";

    /// <param name="gmacs">Each row's GMACs, null where not known (yet); without it, GMACs sorts as all unknown.</param>
    public IReadOnlyList<CatalogueRow> Apply(IReadOnlyList<CatalogueRow> rows, Func<CatalogueRow, double?>? gmacs = null)
    {
        var indexed = rows.Select((row, i) => (row, i, macs: Column == CatalogueColumn.Gmacs ? gmacs?.Invoke(row) : null)).ToList();
        int Compare((CatalogueRow row, int i, double? macs) a, (CatalogueRow row, int i, double? macs) b)
        {
            int c;
            if (Column == CatalogueColumn.Parameters && (a.row.Parameters is null || b.row.Parameters is null))
                c = a.row.Parameters is null && b.row.Parameters is null ? 0 : a.row.Parameters is null ? 1 : -1;   // unbuildable last
            else if (Column == CatalogueColumn.Gmacs && (a.macs is null || b.macs is null))
                c = a.macs is null && b.macs is null ? 0 : a.macs is null ? 1 : -1;   // not known yet, or unbuildable, last
            else
            {
                c = Column switch
                {
                    CatalogueColumn.Name => string.CompareOrdinal(a.row.Name, b.row.Name),
                    CatalogueColumn.Parameters => a.row.Parameters!.Value.CompareTo(b.row.Parameters!.Value),
                    CatalogueColumn.Gmacs => a.macs!.Value.CompareTo(b.macs!.Value),
                    CatalogueColumn.Year => a.row.Entry.Architecture.Year.CompareTo(b.row.Entry.Architecture.Year),
                    _ => string.CompareOrdinal(a.row.Entry.Architecture.Family, b.row.Entry.Architecture.Family),
                };
                if (Descending) c = -c;
            }
            return c != 0 ? c : a.i.CompareTo(b.i);
        }
        indexed.Sort(Compare);
        return indexed.Select(x => x.row).ToArray();
    }
}
