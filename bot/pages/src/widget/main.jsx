import React from 'react';
import { createRoot } from 'react-dom/client';
import '@chatui/core/dist/index.css';
import './widget.css';
import App from './App.jsx';

createRoot(document.getElementById('root')).render(<App />);
