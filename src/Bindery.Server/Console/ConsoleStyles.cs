namespace Bindery.AdminConsole;

/// <summary>The console's one stylesheet, served at <c>/console/console.css</c> (no CDN, no framework).</summary>
internal static class ConsoleStyles
{
    public const string Css = """
        :root { color-scheme: light dark; --accent: #1f5fa8; --muted: #666; --bad: #a40000; --ok: #196b24; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: var(--accent); color: #fff; }
        header a { color: #fff; }
        header nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
        header form { margin-left: auto; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; table-layout: auto; }
        caption { text-align: left; font-weight: 600; padding: .3rem 0; }
        th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; overflow-wrap: anywhere; }
        form.stacked { display: grid; gap: .7rem; max-width: 40rem; }
        fieldset { border: 1px solid #8886; }
        label { font-weight: 600; }
        input[type=text], input[type=password], input[type=number], input[type=url], input[type=datetime-local], select { width: 100%; min-width: 0; padding: .35rem; font: inherit; }
        .hint { color: var(--muted); font-size: .9em; margin: .1rem 0 0; }
        .error { color: var(--bad); border-left: 4px solid var(--bad); padding: .4rem .7rem; }
        .notice { color: var(--ok); border-left: 4px solid var(--ok); padding: .4rem .7rem; }
        button { font: inherit; padding: .35rem .9rem; cursor: pointer; }
        code { overflow-wrap: anywhere; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        .table-scroll { max-width: 100%; overflow-x: auto; }
        form.inline { display: inline; }
        .filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .5rem 1rem; align-items: end; }
        .chart { width: 100%; max-width: 60rem; height: auto; }
        .chart .bound { fill: var(--ok); } .chart .refused { fill: var(--bad); }
        .chart text { font: 11px system-ui, sans-serif; fill: currentColor; }
        .chart line { stroke: #8888; }
        .legend span { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: middle; }
        .legend .bound { background: var(--ok); } .legend .refused { background: var(--bad); }
        nav.pager { display: flex; gap: 1rem; margin: .7rem 0; }
        fieldset > span { display: inline-block; margin-right: .9rem; white-space: nowrap; }
        ul.states { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; padding: 0; }
        [aria-current=page] { font-weight: 700; }
        [hidden] { display: none !important; }
        #import-outcome table { margin-bottom: 1.5rem; }
        .progress progress { display: block; width: 100%; height: 1.2rem; margin: .3rem 0; }
        """;
}
