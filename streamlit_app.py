"""The planner's app from a clone: `streamlit run streamlit_app.py` (installed: `flowsim app`)."""

if __name__ == "__main__":  # Streamlit runs this as __main__; the app's worker processes import it by
    from flowsim.app import main  # another name, and must not pay for importing the app

    main()
