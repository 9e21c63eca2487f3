"""The Streamlit layer: cached data access, the shared sidebar, page building blocks. The only
package that imports both streamlit and analytics."""
