"""The script `flowsim app` hands to `streamlit run` (a clone has the same at its top level)."""

if __name__ == "__main__":  # Streamlit runs this as __main__; the app's worker processes import it by
    from flowsim.app import main  # another name, and must not pay for importing the app

    main()
