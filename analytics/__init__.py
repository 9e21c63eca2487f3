"""FinOps Lens analytics: pure Python over DuckDB; never imports streamlit."""
